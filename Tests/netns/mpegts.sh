# shellcheck shell=bash disable=SC2317  # helpers below are called through wait_until
# The MPEG-TS scenario shared by t-mpegts.sh (IPv4) and t-mpegts-ipv6.sh: players on
# clients 1 and 2, an ffmpeg sender in the source namespace, captures, and the verdicts
# (described in t-mpegts.sh).  Source lib.sh first, build the topology and start the
# translator, then:
#   mpegts_require
#   mpegts_run GROUP URL_HOST SENDER_URL_OPTIONS [BEFORE_SEND_COMMAND...]
#       URL_HOST is GROUP as an ffmpeg/VLC URL wants it ("[ff3e::1]" for IPv6);
#       BEFORE_SEND_COMMAND runs once the players listen (e.g. wait for their MLD joins);
#       the command named by $MPEGTS_AFTER_SEND, if set, once the sender is done (the
#       players still members)
#   mpegts_verdicts GROUP ETHERTYPE     (ETHERTYPE as ts-check prints it: 0x0800, 0x86dd)
#   mpegts_mutd_verdicts

mpegts_require() {
	command -v ffmpeg >/dev/null || skip "ffmpeg not installed (apt-get install ffmpeg)"
	command -v ffprobe >/dev/null || skip "ffprobe not installed (apt-get install ffmpeg)"
	command -v tcpdump >/dev/null || skip "tcpdump not installed"
	SECONDS_TO_SEND=${MUT_MPEGTS_SECONDS:-10}
	TS_CHECK="$TOOLS/ts-check"
	PLAYER2=${MUT_MPEGTS_PLAYER2:-}
	if [ -z "$PLAYER2" ]; then
		if command -v cvlc >/dev/null && command -v setpriv >/dev/null; then PLAYER2=vlc; else PLAYER2=ffmpeg; fi
	fi
	declare -ga PLAYER_KIND
}

# Players.  They join through the client kernel (IGMP or MLD).
# The udp input's timeout (15 s) also bounds the wait for the first datagram: on a loaded
# machine the sender's encoder took more than 5 s to start once (the player then gave up
# with 0 bytes read).
start_ffmpeg_player() {
	local i=$1 url_host=$2
	ip netns exec "$(client_ns "$i")" ffmpeg -nostdin -hide_banner -loglevel debug \
		-i "udp://@$url_host:$PORT?buffer_size=4194304&timeout=15000000" -map 0 -c copy -f mpegts \
		-y "$WORKDIR/player$i.ts" >"$WORKDIR/player$i.log" 2>&1 &
	eval "PLAYER_PID_$i=$!"
	remember "$!"
	PLAYER_KIND[i]=ffmpeg
}

start_vlc_player() {
	local i=$1 url_host=$2 home="$WORKDIR/vlc-home"
	mkdir -p "$home" && chown nobody "$home"
	# VLC leaves its UDP socket at the default receive buffer (about 45 datagrams
	# of this stream on veth); on a busy CI machine a scheduling hiccup of 0.1 s
	# overflows it.  A player's usual higher priority keeps it reading.
	ip netns exec "$(client_ns "$i")" nice -n -10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$home" cvlc --verbose=1 --demux=dump --demuxdump-file="$home/player$i.ts" \
		"udp://@$url_host:$PORT" >"$WORKDIR/player$i.log" 2>&1 &
	eval "PLAYER_PID_$i=$!"
	remember "$!"
	PLAYER_KIND[i]=vlc
}

# player_listening I: the player's process has a UDP socket bound to $PORT.
player_listening() {
	local pid; pid=$(eval echo "\$PLAYER_PID_$1")
	ours "$pid" || fail "player on client $1 exited early: $(tail -n 3 "$WORKDIR/player$1.log")"
	ip netns exec "$(client_ns "$1")" ss -Hunlp "sport = :$PORT" 2>/dev/null | grep -q "pid=$pid,"
}

output_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
player_done() { ! ours "$1"; }
sender_done() { ! ours "$SENDER_PID"; }

mpegts_run() {
	local group=$1 url_host=$2 sender_options=$3 i pid last same size sender_status
	shift 3
	# capture NS IFACE NAME: tcpdump the stream's frames (link headers kept) to NAME.pcap.
	capture "$NS_SRC" eth0 sent
	capture "$(client_ns 1)" eth0 wire1
	capture "$(client_ns 2)" eth0 wire2

	start_ffmpeg_player 1 "$url_host"
	if [ "$PLAYER2" = vlc ]; then start_vlc_player 2 "$url_host"; else start_ffmpeg_player 2 "$url_host"; fi
	for i in 1 2; do
		wait_until 15 player_listening "$i" || fail "player ${PLAYER_KIND[$i]} on client $i did not open its socket"
	done
	sleep 0.5  # the joins' reports go out
	[ $# -gt 0 ] && "$@"

	say "sending: ffmpeg testsrc 1280x720@25 H.264 CBR ~4 Mbit/s + MP2 audio, MPEG-TS, 1316-byte datagrams, ${SECONDS_TO_SEND}s, to $group"
	ip netns exec "$NS_SRC" ffmpeg -nostdin -hide_banner -loglevel error -re \
		-f lavfi -i "testsrc=size=1280x720:rate=25" -f lavfi -i "sine=frequency=1000:sample_rate=48000" \
		-t "$SECONDS_TO_SEND" \
		-c:v libx264 -preset ultrafast -tune zerolatency -g 25 \
		-b:v 3500k -minrate 3500k -maxrate 3500k -bufsize 1750k -x264-params nal-hrd=cbr \
		-c:a mp2 -b:a 128k \
		-f mpegts -muxrate 4000k "udp://$url_host:$PORT?pkt_size=1316&ttl=$SENDER_TTL$sender_options" \
		>"$WORKDIR/sender.log" 2>&1 &
	SENDER_PID=$!
	remember "$SENDER_PID"
	wait_until $((SECONDS_TO_SEND + 30)) sender_done || fail "sender still running after $((SECONDS_TO_SEND + 30)) s"
	wait "$SENDER_PID" 2>/dev/null; sender_status=$?
	forget "$SENDER_PID"
	[ "$sender_status" -eq 0 ] || fail "ffmpeg sender failed (exit $sender_status): $(tail -n 3 "$WORKDIR/sender.log")"
	if [ -n "${MPEGTS_AFTER_SEND:-}" ]; then "$MPEGTS_AFTER_SEND"; fi
	# ffmpeg reads behind the live edge (it probes the input for up to 5 s, then
	# catches up), and its MPEG-TS demuxer completes a PES only when the next one
	# starts or the input ends: so it is told to end its input after 15 s without data
	# (udp timeout) and is waited for.  VLC dumps as it reads: stopped once its dump
	# file has not grown for 2 s.
	for i in 1 2; do
		pid=$(eval echo "\$PLAYER_PID_$i")
		case ${PLAYER_KIND[$i]} in
		ffmpeg)
			wait_until 45 player_done "$pid" || say "  (ffmpeg on client $i did not end by itself; stopping it)"
			;;
		vlc)
			last=-1 same=0
			for _ in $(seq 1 60); do
				size=$(output_size "$WORKDIR/vlc-home/player$i.ts")
				if [ "$size" -gt 0 ] && [ "$size" = "$last" ]; then same=$((same + 1)); else same=0; fi
				last=$size
				[ $same -ge 4 ] && break
				sleep 0.5
			done
			;;
		esac
		stop_pid "$pid" TERM
	done
	say "tcpdump: sent: $(stop_capture sent)"
	say "tcpdump: client 1: $(stop_capture wire1)"
	say "tcpdump: client 2: $(stop_capture wire2)"
}

# video_frames FILE: H.264 frames (packets) in a transport stream, per ffprobe.
video_frames() {
	ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets \
		-of default=noprint_wrappers=1:nokey=1 "$1" 2>/dev/null | head -n 1
}

mpegts_verdicts() {
	local group=$1 ethertype=$2 i mac frames player_cc
	check "translator still running after the stream" translator_alive

	"$TS_CHECK" --pcap "$WORKDIR/sent.pcap" --port "$PORT" --write-ts "$WORKDIR/sent.ts" >"$WORKDIR/sent.json"
	SENT_TS=$(json_get "$WORKDIR/sent.json" packets)
	SENT_DATAGRAMS=$(json_get "$WORKDIR/sent.json" wire.frames)
	say "sent: $SENT_DATAGRAMS datagrams, $SENT_TS TS packets, continuity errors $(json_get "$WORKDIR/sent.json" cc_errors)"
	check "sender's stream is clean and not empty" \
		eq "$(json_get "$WORKDIR/sent.json" clean)/$([ "${SENT_TS:-0}" -gt 1000 ] && echo big)" "True/big"
	SENT_FRAMES=$(video_frames "$WORKDIR/sent.ts")
	say "sent: $SENT_FRAMES video frames"

	# The checker notices a single lost TS packet: drop packet 1000 from the sent stream.
	"$PYTHON" - "$WORKDIR/sent.ts" "$WORKDIR/lossy.ts" <<-'PY'
		import sys
		data = open(sys.argv[1], "rb").read()
		open(sys.argv[2], "wb").write(data[:188 * 1000] + data[188 * 1001:])
		PY
	"$TS_CHECK" "$WORKDIR/lossy.ts" >"$WORKDIR/lossy.json"
	check "ts-check flags one dropped TS packet" ge "$(json_get "$WORKDIR/lossy.json" cc_errors)" 1

	say "tcpdump -e on client 1 (first 2 frames):"
	tcpdump -e -n -r "$WORKDIR/wire1.pcap" -c 2 2>/dev/null | sed 's/^/    /'
	for i in 1 2; do
		mac=$(client_mac "$i")
		"$TS_CHECK" --pcap "$WORKDIR/wire$i.pcap" --port "$PORT" --own-mac "$mac" >"$WORKDIR/wire$i.json"
		w() { json_get "$WORKDIR/wire$i.json" "$1"; }
		say "client $i wire ($mac): frames=$(w wire.frames) own-mac=$(w wire.to_own_mac) group-mac=$(w wire.to_group_mac) other=$(w wire.to_other_mac) ethertypes=$(w wire.ethertypes) | TS packets=$(w packets)/$SENT_TS continuity errors=$(w cc_errors)"
		check "client $i wire: zero continuity errors" eq "$(w cc_errors)" 0
		check "client $i wire: every TS packet sent ($SENT_TS)" eq "$(w packets)" "$SENT_TS"
		check "client $i wire: every datagram as a frame to its own MAC" eq "$(w wire.to_own_mac)" "$SENT_DATAGRAMS"
		check "client $i wire: no group-MAC frame, no other MAC" eq "$(w wire.to_group_mac)/$(w wire.to_other_mac)" "0/0"
		check "client $i wire: destination IP still the group" eq "$(w wire.dst_ips)" "{\"$group\": $SENT_DATAGRAMS}"
		check "client $i wire: every frame has EtherType $ethertype" eq "$(w wire.ethertypes)" "{\"$ethertype\": $SENT_DATAGRAMS}"

		case ${PLAYER_KIND[$i]} in
		ffmpeg)
			# ffmpeg's MPEG-TS demuxer logs each continuity failure (at debug level).
			player_cc=$(grep -c "Continuity check failed" "$WORKDIR/player$i.log")
			"$TS_CHECK" "$WORKDIR/player$i.ts" >"$WORKDIR/player$i.json"
			frames=$(video_frames "$WORKDIR/player$i.ts")
			say "client $i player ffmpeg: demuxer continuity failures=$player_cc | recorded TS packets=$(json_get "$WORKDIR/player$i.json" packets) (remuxed) video frames=$frames/$SENT_FRAMES"
			check "client $i ffmpeg: demuxer saw zero continuity errors" eq "$player_cc" 0
			check "client $i ffmpeg: recording is a valid TS" eq "$(json_get "$WORKDIR/player$i.json" clean)" True
			check "client $i ffmpeg: recorded every video frame sent ($SENT_FRAMES)" eq "$frames" "$SENT_FRAMES"
			;;
		vlc)
			"$TS_CHECK" "$WORKDIR/vlc-home/player$i.ts" >"$WORKDIR/player$i.json"
			p() { json_get "$WORKDIR/player$i.json" "$1"; }
			frames=$(video_frames "$WORKDIR/vlc-home/player$i.ts")
			say "client $i player vlc: TS packets=$(p packets)/$SENT_TS continuity errors=$(p cc_errors) video frames=$frames/$SENT_FRAMES"
			check "client $i vlc: zero continuity errors in what it received" eq "$(p cc_errors)" 0
			check "client $i vlc: every TS packet sent ($SENT_TS)" eq "$(p packets)" "$SENT_TS"
			check "client $i vlc: every video frame sent ($SENT_FRAMES)" eq "$frames" "$SENT_FRAMES"
			;;
		esac
	done
}

# mpegts_mutd_verdicts: mutd's counters agree (two copies of every datagram).
mpegts_mutd_verdicts() {
	[ "$TRANSLATOR" = mutd ] && [ -x "$MUT_BIN_DIR/mutctl" ] || return 0
	in_ns "$NS_RTR" "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json >"$WORKDIR/status.json" 2>&1
	say "mutctl groups:"
	in_ns "$NS_RTR" "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups 2>&1 | sed 's/^/    /'
	say "mutd: packets=$(json_get "$WORKDIR/status.json" packets) copies=$(json_get "$WORKDIR/status.json" copies) passed=$(json_get "$WORKDIR/status.json" passed) queue_drops=$(json_get "$WORKDIR/status.json" queue_drops)"
	check "mutd: translated every datagram, two copies each" \
		eq "$(json_get "$WORKDIR/status.json" packets)/$(json_get "$WORKDIR/status.json" copies)" \
		"$SENT_DATAGRAMS/$((SENT_DATAGRAMS * 2))"
}
