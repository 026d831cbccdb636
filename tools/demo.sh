#!/usr/bin/env bash
# `make demo`: MUT's whole job on one machine, in network namespaces.
#
#   source ns ── router ns (smcrouted + queue rule + mutd) ── AP ns (flooding
#   bridge, like a Wi-Fi AP) ── 3 client ns, each joined to the group with the
#   kernel's own IGMP.
#
# mutd has clients 1 and 2 as static subscribers; client 3 is known to mutd only
# if mutd learns it from its IGMP report.  A 5 s stream then runs, and the demo
# prints what each client received and with which destination MAC: unicast
# (the client's own MAC: MUT at work) or the group's multicast MAC.
# Cleans up (namespaces, processes) on exit, Ctrl-C included.
#
# Environment: MUT_BIN_DIR (default .build/debug), MUT_TRANSLATOR=refmut to use
# the C stand-in instead of mutd.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, NFQUEUE); try: sudo $0" >&2
	exit 1
fi
source "$(dirname "$0")/../Tests/netns/lib.sh"

# lib.sh's skip() exits 77 for the test runner; for the demo a missing piece is an error.
skip() { say "demo: cannot run: $*"; exit 1; }

RATE=200
SECONDS_OF_STREAM=5

choose_translator
[ -n "$TRANSLATOR" ] || skip "$MUT_BIN_DIR/mutd not found; build first: swift build (or MUT_BIN_DIR=...)"

say "== building the topology"
topology 3
learn_neighbours
load_queue_rule
say "== starting $TRANSLATOR in the router namespace (clients 1 and 2 static; client 3 only via IGMP)"
start_translator 1 2
for i in 1 2 3; do start_sink "$i"; done
wait_sinks_ready 1 2 3
say "== streaming $GROUP:$PORT for ${SECONDS_OF_STREAM} s at $RATE pps from $SOURCE_IP"
send_stream $((RATE * SECONDS_OF_STREAM)) "$RATE"
sleep 0.5

if [ "$TRANSLATOR" = mutd ] && [ -x "$MUT_BIN_DIR/mutctl" ]; then
	say "== mutctl groups"
	if groups=$(in_ns "$NS_RTR" "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups 2>&1); then
		printf '%s\n' "$groups" | sed 's/^/   /'
	else
		say "   (mutctl groups failed: $(printf '%s' "$groups" | tail -n 1))"
	fi
fi
stop_sinks 1 2 3

say "== what each client received ($SENT packets sent; group MAC of $GROUP is $(json_get "$WORKDIR/sink-1.json" group_mac))"
"$PYTHON" - "$WORKDIR" <<'EOF'
import json, sys
rows = []
for i in (1, 2, 3):
    try:
        r = json.load(open("%s/sink-%d.json" % (sys.argv[1], i)))
    except (OSError, ValueError):
        print("  client %d: no result" % i)
        continue
    c, s = r["capture"], r.get("socket", {})
    macs = ", ".join("%s x%d" % (m, n) for m, n in sorted(c["dst_macs"].items())) or "-"
    how = ("UNICAST to its own MAC" if c["to_own_mac"] and not c["to_group_mac"]
           else "multicast" if c["to_group_mac"] and not c["to_own_mac"]
           else "mixed" if c["frames"] else "nothing")
    print("  client %d  %-17s  socket got %4d packets (%d dup)  frames: %4d unicast, %4d multicast, %d other  -> %s"
          % (i, r["mac"], s.get("unique", 0), s.get("duplicates", 0),
             c["to_own_mac"], c["to_group_mac"], c["to_other_mac"], how))
    print("            destination MACs seen: %s" % macs)
EOF

say "== stopping $TRANSLATOR"
stop_translator TERM
tail -n 3 "$TRANSLATOR_LOG" | sed 's/^/   /'
say "== cleaning up"
