#!/bin/bash
# Allocation-count test: mutd's data-plane thread makes no heap allocation per
# packet.  mutd runs under an LD_PRELOAD malloc counter (malloc-count.c) in the
# benchmark topology with 2 subscribed clients; after a warm-up, 100,000
# packets go through, and the allocations each thread made meanwhile are read.
# The data-plane thread is the one that used the most CPU in that window.
# Passes when it made fewer than one allocation per 1,000 packets (0 expected)
# and the clients received the packets.
#
#   tools/bench/alloc-test.sh       (root; MUT_BIN_DIR defaults to .build/release, then .build/debug)
# Exit: 0 pass, 1 fail, 77 skip.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
if [ -z "${MUT_BIN_DIR:-}" ]; then
	MUT_BIN_DIR=$REPO/.build/release
	[ -x "$MUT_BIN_DIR/mutd" ] || MUT_BIN_DIR=$REPO/.build/debug
fi
export MUT_BIN_DIR
PACKETS=${PACKETS:-100000}
RATE=${RATE:-20000}
WARMUP=5000

# shellcheck source=Tests/netns/lib.sh
source "$REPO/Tests/netns/lib.sh"
require_root
command -v gcc >/dev/null || skip "gcc not installed"
[ -x "$MUT_BIN_DIR/mutd" ] || skip "$MUT_BIN_DIR/mutd not built"
make_workdir
BIN=$WORKDIR
gcc -O2 -shared -fPIC -o "$BIN/malloc-count.so" "$BENCH_DIR/malloc-count.c" || fail "cannot compile malloc-count.c"
for tool in mutcast-send mutcast-sink; do
	gcc -O2 -o "$BIN/$tool" "$BENCH_DIR/$tool.c" || fail "cannot compile $tool"
done

topology 2
learn_neighbours
load_queue_rule
COUNTS=$WORKDIR/malloc-counts.bin
ip netns exec "$NS_RTR" env LD_PRELOAD="$BIN/malloc-count.so" MALLOC_COUNT_FILE="$COUNTS" \
	"$MUT_BIN_DIR/mutd" --interface lan0 --queue 0 \
	--static "$GROUP,$(client_ip 1)" --static "$GROUP,$(client_ip 2)" \
	--socket "$WORKDIR/mutd.sock" >"$WORKDIR/translator.log" 2>&1 &
TRANSLATOR_PID=$!
TRANSLATOR_LOG=$WORKDIR/translator.log
remember "$TRANSLATOR_PID"
wait_until 10 translator_ready_mutd || fail "mutd did not get ready"
sleep 0.3

# snapshot FILE: "tid allocations cpu_ns" for every thread of mutd, sorted by tid
# (a thread that never allocated has no slot in the counts file: 0).
snapshot() {
	"$PYTHON" - "$COUNTS" "$TRANSLATOR_PID" >"$1" <<-'PY'
	import os, struct, sys
	data = open(sys.argv[1], "rb").read()
	counts = {}
	for offset in range(0, len(data), 16):
	    tid, count = struct.unpack_from("qq", data, offset)
	    if tid:
	        counts[tid] = count
	for tid in sorted(int(t) for t in os.listdir("/proc/%s/task" % sys.argv[2])):
	    try:
	        cpu = int(open("/proc/%s/task/%d/schedstat" % (sys.argv[2], tid)).read().split()[0])
	    except OSError:
	        continue
	    print(tid, counts.get(tid, 0), cpu)
	PY
}

send() { # send COUNT
	in_ns "$NS_SRC" "$BIN/mutcast-send" --group "$GROUP" --port "$PORT" --rate "$RATE" \
		--duration "$(awk -v n="$1" -v r="$RATE" 'BEGIN { print n / r }')" --ttl "$SENDER_TTL" >"$WORKDIR/send.json" \
		|| fail "mutcast-send failed"
}

ip netns exec "$(client_ns 1)" "$BIN/mutcast-sink" --interface eth0 --group "$GROUP" --port "$PORT" \
	--duration 600 --max-seq 1048576 --ready-file "$WORKDIR/sink.ready" >"$WORKDIR/sink.json" 2>"$WORKDIR/sink.log" &
SINK_PID=$!
remember "$SINK_PID"
wait_until 10 test -e "$WORKDIR/sink.ready" || fail "sink did not start"

send "$WARMUP"
sleep 0.5
snapshot "$WORKDIR/before"
send "$PACKETS"
sleep 0.5
snapshot "$WORKDIR/after"
translator_alive || fail "mutd died: $(tail -n 3 "$TRANSLATOR_LOG")"
stop_pid "$SINK_PID" TERM
RECEIVED=$(( $(json_get "$WORKDIR/sink.json" frames) - WARMUP ))

say "per thread of mutd (pid $TRANSLATOR_PID): tid, allocations during the $PACKETS packets, CPU ms"
# Both snapshots list the same threads in the same order (mutd starts none later).
paste -d ' ' "$WORKDIR/before" "$WORKDIR/after" | awk '$1 == $4 {
	printf "  %-8s %8d %10.1f\n", $1, $5 - $2, ($6 - $3) / 1e6 }' >"$WORKDIR/threads"
cat "$WORKDIR/threads"
read -r DP_TID DP_ALLOCS _ <<<"$(sort -k3,3 -n -r "$WORKDIR/threads" | head -n 1)"
say "alloc-test: data-plane thread $DP_TID made $DP_ALLOCS heap allocation(s) over $PACKETS packets (client 1 received $RECEIVED of them)"
check "client 1 received at least 99 % of the $PACKETS packets" ge "$RECEIVED" $((PACKETS * 99 / 100))
check "data-plane thread: fewer than one allocation per 1,000 packets ($DP_ALLOCS)" le $((DP_ALLOCS * 1000)) $((PACKETS - 1))
finish
