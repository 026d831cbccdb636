#!/usr/bin/env bash
# IGMP snooping feeds the subscriber table (no static subscribers at all):
#   client 1 forced to IGMPv2, clients 2 and 3 to IGMPv3, each joined with a real socket.
#   Joining: every client receives the stream as unicast copies to its own MAC and nothing
#   else. Client 1 leaves (v2 leave) at ~3.5 s and client 2 (v3 TO_IN{}) at ~5.5 s: their copies
#   stop within one second, while client 3 keeps receiving every packet.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"

RATE=200
COUNT=2000   # 10 s
topology 3
force_igmp() { sysctl_in "$(client_ns "$1")" "net.ipv4.conf.eth0.force_igmp_version=$2"; }
force_igmp 1 2; force_igmp 2 3; force_igmp 3 3
learn_neighbours
load_queue_rule
start_translator   # no --static: everything comes from IGMP

# Capture-only sinks run throughout; joiners hold the membership like a player would.
for i in 1 2 3; do start_sink "$i" --no-join --expect "$COUNT"; done
wait_sinks_ready 1 2 3
join() {  # join CLIENT SECONDS
	in_ns "$(client_ns "$1")" python3 "$TOOLS/mcast-join" --group "$GROUP" --seconds "$2" \
		>"$WORKDIR/join-$1.log" 2>&1 &
	remember $!
}
join 1 4; join 2 6; join 3 30
wait_until 5 grep -q "joined $GROUP on lan0" "$TRANSLATOR_LOG" || fail "mutd logged no IGMP join"
wait_until 5 joins_logged 3 || fail "mutd did not learn all three clients: $(grep IGMP "$TRANSLATOR_LOG")"
grep "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
# The stream starts half a second after mutd learned the joins: client 1 leaves ~3.5 s into
# it, client 2 ~5.5 s (less the time mutd took to learn them).
sleep 0.5
send_stream "$COUNT" "$RATE"
sleep 0.5
stop_sinks 1 2 3
grep -E "IGMP: .* (left|expired)" "$TRANSLATOR_LOG" | sed 's/^/  /'

for i in 1 2 3; do summarize_sink "$i"; say "    unicast seq range: $(sink "$i" capture.seq_range.own)"; done

for i in 1 2 3; do
	check "client $i: no group-MAC frame (original dropped)" eq "$(sink $i capture.to_group_mac)" 0
	check "client $i: no frame to another MAC" eq "$(sink $i capture.to_other_mac)" 0
	check "client $i: unicast from the first packet" eq "$(seq_bound $i own 0)" 0
done
check "client 3 (stays): every packet exactly once, as unicast" eq "$(sink 3 capture.to_own_mac)/$(sink 3 capture.unique)" "$COUNT/$COUNT"
check "mutd saw the v2 leave of client 1" grep -q "IGMP: $(client_ip 1) left $GROUP" "$TRANSLATOR_LOG"
check "mutd saw the v3 leave of client 2" grep -q "IGMP: $(client_ip 2) left $GROUP" "$TRANSLATOR_LOG"
# The packet being sent when each client left (from the joiner's and the sender's clocks, so a
# slow start of either on a loaded machine moves the expectation, not the verdict).
leave_seq() {  # leave_seq CLIENT: the sequence number due at the client's leave
	"$PYTHON" - "$WORKDIR/join-$1.log" "$WORKDIR/send.json" "$RATE" <<-'EOF'
	import json, sys
	left = [float(l.split()[2]) for l in open(sys.argv[1]) if l.startswith("left at ")]
	start = json.load(open(sys.argv[2]))["start_unix"]
	print(int((left[0] - start) * float(sys.argv[3])) if left else -1)
	EOF
}
leave1=$(leave_seq 1); leave2=$(leave_seq 2)
say "  packets due at the leaves: client 1 $leave1, client 2 $leave2 (planned up to ~700 and ~1100)"
check "client 1 left while the stream ran" ge "$leave1" 50
check "client 2 left while the stream ran" ge "$leave2" 50
# Received until its leave (a quarter second's slack), nothing from 1 s after it (200 packets).
check "client 1 (v2): received until its leave (last copy ≥ $((leave1 - 50)))" ge "$(seq_bound 1 own 1)" $((leave1 - 50))
check "client 1 (v2): copies stopped within 1 s of the leave (last copy ≤ $((leave1 + RATE)))" le "$(seq_bound 1 own 1)" $((leave1 + RATE))
check "client 1 (v2): no gap before its leave" eq "$(sink 1 capture.unique)" "$(( $(seq_bound 1 own 1) + 1 ))"
check "client 2 (v3): received until its leave (last copy ≥ $((leave2 - 50)))" ge "$(seq_bound 2 own 1)" $((leave2 - 50))
check "client 2 (v3): copies stopped within 1 s of the leave (last copy ≤ $((leave2 + RATE)))" le "$(seq_bound 2 own 1)" $((leave2 + RATE))
check "client 2 (v3): no gap before its leave" eq "$(sink 2 capture.unique)" "$(( $(seq_bound 2 own 1) + 1 ))"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
check "mutctl groups: client 3 via igmp, IGMPv3" \
	eq "$("$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"][0]; print([(c["ip"], c["via"], c.get("igmp_version")) for c in g["clients"]])')" \
	"[('$(client_ip 3)', 'igmp', 3)]"
check "mutctl groups says why clients 1 and 2 ended: they left" \
	eq "$("$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | python3 -c 'import json,sys; print(sorted((e["client"], e["why"]) for e in json.load(sys.stdin).get("ended", [])))')" \
	"[('$(client_ip 1)', 'left'), ('$(client_ip 2)', 'left')]"
finish
