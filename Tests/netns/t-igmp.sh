#!/usr/bin/env bash
# IGMP snooping feeds the subscriber table (no static subscribers at all):
#   client 1 forced to IGMPv2, clients 2 and 3 to IGMPv3, each joined with a real socket.
#   Joining: every client receives the stream as unicast copies to its own MAC and nothing
#   else. Client 1 leaves (v2 leave) at 2 s and client 2 (v3 TO_IN{}) at 4 s: their copies
#   stop within one second, while client 3 keeps receiving every packet.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"

RATE=200
COUNT=1600   # 8 s
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
join 1 2.5; join 2 4.5; join 3 30
wait_until 5 grep -q "joined $GROUP on lan0" "$TRANSLATOR_LOG" || fail "mutd logged no IGMP join"
wait_until 5 joins_logged 3 || fail "mutd did not learn all three clients: $(grep IGMP "$TRANSLATOR_LOG")"
grep "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
# The stream starts half a second after the joins: client 1 leaves at ~2 s, client 2 at ~4 s.
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
# Joined for 2.5 s of which 0.5 s before the stream: leave at packet ~400 (2 s x 200 pps).
check "client 1 (v2): received until its leave (last copy ≥ 300)" ge "$(seq_bound 1 own 1)" 300
check "client 1 (v2): copies stopped within 1 s of the leave (last copy ≤ 600)" le "$(seq_bound 1 own 1)" 600
check "client 1 (v2): no gap before its leave" eq "$(sink 1 capture.unique)" "$(( $(seq_bound 1 own 1) + 1 ))"
check "client 2 (v3): received until its leave (last copy ≥ 700)" ge "$(seq_bound 2 own 1)" 700
check "client 2 (v3): copies stopped within 1 s of the leave (last copy ≤ 1000)" le "$(seq_bound 2 own 1)" 1000
check "client 2 (v3): no gap before its leave" eq "$(sink 2 capture.unique)" "$(( $(seq_bound 2 own 1) + 1 ))"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
check "mutctl groups: client 3 via igmp, IGMPv3" \
	eq "$("$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"][0]; print([(c["ip"], c["via"], c.get("igmp_version")) for c in g["clients"]])')" \
	"[('$(client_ip 3)', 'igmp', 3)]"
finish
