#!/usr/bin/env bash
# `make demo`: MUT's whole job on one machine, in network namespaces, with a real IPTV
# stream.
#
#   source ns (ffmpeg: H.264 MPEG-TS test pattern, ~4 Mbit/s, 1316-byte datagrams)
#     ── router ns (smcrouted + queue rule + mutd --querier)
#     ── AP ns (flooding bridge, like a Wi-Fi AP)
#     ── client ns 1 and 2: an ffmpeg player each (udp://@GROUP:PORT; the kernel's own IGMP)
#     ── client ns 3: watches nothing
#
# mutd learns the two viewers from their IGMP reports and sends each its own unicast copy.
# The demo prints mutctl's view during the stream, then per client what arrived on its wire
# (destination MACs, continuity errors) and what its player made of it (ffprobe).
# Without ffmpeg it streams numbered test packets instead. Cleans up on exit, Ctrl-C included.
#
# Environment: MUT_BIN_DIR (default .build/debug).
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, NFQUEUE); try: sudo $0" >&2
	exit 1
fi
source "$(dirname "$0")/../Tests/netns/lib.sh"
# lib.sh's skip() exits 77 for the test runner; for the demo a missing piece is an error.
skip() { say "demo: cannot run: $*"; exit 1; }

STREAM_SECONDS=8
choose_translator
[ "$TRANSLATOR" = mutd ] || skip "$MUT_BIN_DIR/mutd not found; build first: swift build (or MUT_BIN_DIR=...)"
MUTCTL="$MUT_BIN_DIR/mutctl"

say "== building the topology"
topology 3
learn_neighbours
load_queue_rule
say "== starting mutd in the router namespace: no static subscribers, it learns viewers from IGMP"
MUTD_ARGS=(--querier)
start_translator
for i in 1 2 3; do capture "$(client_ns "$i")" eth0 "wire$i"; done

if command -v ffmpeg >/dev/null; then
	say "== two viewers tune in (ffmpeg players on clients 1 and 2)"
	for i in 1 2; do
		in_ns "$(client_ns "$i")" ffmpeg -nostdin -hide_banner -loglevel error \
			-i "udp://@$GROUP:$PORT?buffer_size=4194304&timeout=3000000" -map 0 -c copy -f mpegts \
			-y "$WORKDIR/player$i.ts" >"$WORKDIR/player$i.log" 2>&1 &
		eval "PLAYER_$i=$!"
		remember "$!"
	done
	wait_until 10 grep -q "joined $GROUP" "$TRANSLATOR_LOG" || say "   (no IGMP join seen yet)"
	sleep 1
	say "== streaming an H.264 test pattern to $GROUP:$PORT for $STREAM_SECONDS s (ffmpeg, MPEG-TS, ~4 Mbit/s)"
	in_ns "$NS_SRC" ffmpeg -nostdin -hide_banner -loglevel error -re \
		-f lavfi -i "testsrc=size=1280x720:rate=25" -t "$STREAM_SECONDS" \
		-c:v libx264 -preset ultrafast -tune zerolatency -g 25 -b:v 3500k -minrate 3500k -maxrate 3500k \
		-bufsize 1750k -x264-params nal-hrd=cbr -f mpegts -muxrate 4000k \
		"udp://$GROUP:$PORT?pkt_size=1316&ttl=$SENDER_TTL" >"$WORKDIR/sender.log" 2>&1 &
	SENDER=$!
	remember "$SENDER"
	sleep $((STREAM_SECONDS / 2))
	say "== mutctl groups (mid-stream)"
	"$MUTCTL" --socket "$MUTD_SOCKET" groups | sed 's/^/   /'
	sender_done() { ! ours "$SENDER"; }
	wait_until $((STREAM_SECONDS + 20)) sender_done || say "   (the sender is late)"
	forget "$SENDER"
	player_done() { ! ours "$1"; }
	for i in 1 2; do
		pid=$(eval echo "\$PLAYER_$i")
		wait_until 15 player_done "$pid" || stop_pid "$pid" TERM
		forget "$pid"
	done
else
	say "== ffmpeg not installed: streaming numbered test packets instead"
	for i in 1 2; do start_sink "$i"; done
	wait_sinks_ready 1 2
	send_stream $((200 * STREAM_SECONDS)) 200
	say "== mutctl groups"
	"$MUTCTL" --socket "$MUTD_SOCKET" groups | sed 's/^/   /'
	stop_sinks 1 2
fi
sleep 0.5
say "== mutctl status"
"$MUTCTL" --socket "$MUTD_SOCKET" status | sed 's/^/   /'
for i in 1 2 3; do stop_capture "wire$i" >/dev/null; done

say "== what each client's wire carried (group MAC of $GROUP is 01:00:5e:01:01:01)"
for i in 1 2 3; do
	"$PYTHON" "$TOOLS/ts-check" --pcap "$WORKDIR/wire$i.pcap" --port "$PORT" --own-mac "$(client_mac "$i")" \
		>"$WORKDIR/wire$i.json" 2>/dev/null
	w() { json_get "$WORKDIR/wire$i.json" "$1"; }
	printf '   client %d  %s  frames %5s: to its own MAC %5s, to the group MAC %s, other %s; TS packets %s, continuity errors %s\n' \
		"$i" "$(client_mac "$i")" "$(w wire.frames)" "$(w wire.to_own_mac)" "$(w wire.to_group_mac)" \
		"$(w wire.to_other_mac)" "$(w packets)" "$(w cc_errors)"
done
if command -v ffprobe >/dev/null; then
	say "== what each player saw (ffprobe of its recording)"
	for i in 1 2; do
		IFS=, read -r codec width height rate frames < <(ffprobe -v error -count_packets -select_streams v:0 \
			-show_entries stream=codec_name,width,height,avg_frame_rate,nb_read_packets \
			-of csv=p=0 "$WORKDIR/player$i.ts" 2>/dev/null | head -n 1)
		if [ -n "${codec:-}" ]; then
			say "   client $i player: $codec ${width}x$height at $rate fps, $frames video frames received"
		else
			say "   client $i player: nothing recorded"
		fi
	done
fi
say "== stopping mutd"
stop_translator TERM
grep -E "IGMP: .*joined|stopped" "$TRANSLATOR_LOG" | sed 's/^/   /'
say "== cleaning up"
