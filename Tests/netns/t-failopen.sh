#!/usr/bin/env bash
# Fail-open: the translator dies with SIGKILL in the middle of a 500 pps stream.
# The queue rule's bypass (and the queue's fail-open flag) must let the kernel
# deliver the rest as plain multicast: the subscribed clients keep receiving,
# with at most a handful of packets lost around the kill and none twice.
source "$(dirname "$0")/lib.sh"
require_root
require_translator

RATE=500
COUNT=3000           # 6 s
KILL_AFTER=2
MAX_LOST=20

topology 2
learn_neighbours
load_queue_rule
start_translator 1 2
for i in 1 2; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2

ip netns exec "$NS_SRC" "$PYTHON" "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" \
	--count "$COUNT" --rate "$RATE" --ttl "$SENDER_TTL" --stream 7 \
	>"$WORKDIR/send.json" 2>"$WORKDIR/send.log" &
SENDER_PID=$!
remember "$SENDER_PID"
sender_done() { ! ours "$SENDER_PID"; }
sleep "$KILL_AFTER"
KILLED_PID=$TRANSLATOR_PID
stop_translator KILL
say "killed the translator (pid $KILLED_PID) with SIGKILL after ${KILL_AFTER} s"
wait_until 15 sender_done || fail "mcast-send did not finish"
forget "$SENDER_PID"
SENT=$(json_get "$WORKDIR/send.json" sent)
say "sent $SENT packets at $RATE pps"
sleep 0.5
stop_sinks 1 2

check "sender sent all $COUNT packets" eq "$SENT" "$COUNT"
for i in 1 2; do
	summarize_sink "$i"
	missing=$(sink $i socket.missing)
	say "  client $i: missing $missing, duplicates $(sink $i socket.duplicates), unicast seq $(sink $i capture.seq_range.own), multicast seq $(sink $i capture.seq_range.group)"
	check "client $i: at most $MAX_LOST packets lost around the kill" le "$missing" "$MAX_LOST"
	check "client $i: no duplicates" eq "$(sink $i socket.duplicates)" 0
	check "client $i: unicast copies before the kill" ge "$(sink $i capture.to_own_mac)" $((RATE * KILL_AFTER / 2))
	check "client $i: plain multicast after the kill" ge "$(sink $i capture.to_group_mac)" $((RATE * 2))
	check "client $i: payload byte-identical" eq "$(sink $i capture.identical)" "$(sink $i capture.frames)"
done
finish
