#!/usr/bin/env bash
# Several LANs: one mutd serves lan0 and lan1, and the router routes the same group to both.
#   LAN A (lan0): client 1 watches, client 2 does not.
#   LAN B (lan1): clients 3 and 4 watch; client 4 leaves (IGMPv3 TO_IN{}) 400 packets in.
# Each LAN has its own members and counters: client 1 and client 3 get every packet as
# unicast copies, client 2 gets nothing, client 4 gets copies until its leave and nothing
# after; the leave on lan1 touches nothing on lan0. mutd is the IGMP querier on each LAN.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping on two interfaces)"

RATE=200
COUNT=1200   # 6 s
NS_AP2="$PREFIX-ap2"
LAN_B_ROUTER_IP=10.10.3.1
LAN_INTERFACES="lan0 lan1"

# LAN B's clients have their own subnet and MACs; client_ip/client_mac describe LAN A's.
lan_b_ip()  { echo "10.10.3.$((10 + $1))"; }
lan_b_mac() { printf '02:00:00:00:03:%02d\n' $((10 + $1)); }
describe_client() {
	case $1 in 3|4) echo "$(lan_b_ip "$1") on lan1" ;; *) echo "$(client_ip "$1") on lan0" ;; esac
}

# second_lan: lan1 on the router, a second AP bridge behind it.
second_lan() {
	add_ns "$NS_AP2"
	ip link add lan1 netns "$NS_RTR" type veth peer name rtr0 netns "$NS_AP2" || fail "veth rtr-ap2"
	ip -n "$NS_RTR" addr add "$LAN_B_ROUTER_IP/24" dev lan1
	ip -n "$NS_RTR" link set lan1 up
	sysctl_in "$NS_RTR" net.ipv4.conf.lan1.rp_filter=0
	ip -n "$NS_AP2" link add br0 type bridge mcast_snooping 0 stp_state 0 || fail "bridge 2"
	ip -n "$NS_AP2" link set rtr0 master br0
	ip -n "$NS_AP2" link set rtr0 up
}

# add_lan_b_client I: client namespace I on port p$I of LAN B's bridge.
add_lan_b_client() {
	local i=$1 ns
	ns=$(client_ns "$i")
	add_ns "$ns"
	ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$NS_AP2" || fail "veth client $i"
	ip -n "$ns" link set eth0 address "$(lan_b_mac "$i")"
	ip -n "$ns" addr add "$(lan_b_ip "$i")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$LAN_B_ROUTER_IP"
	ip -n "$NS_AP2" link set "p$i" master br0
	ip -n "$NS_AP2" link set "p$i" up
	bridge -n "$NS_AP2" fdb replace "$(lan_b_mac "$i")" dev "p$i" master static || fail "fdb client $i"
}

backbone
add_client 1; add_client 2
second_lan
add_lan_b_client 3; add_lan_b_client 4
ip -n "$NS_AP" link set br0 up
ip -n "$NS_AP2" link set br0 up
for i in 1 2 3 4; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
start_smcroute
say "topology: source -> router (smcrouted, $GROUP up0 -> lan0 lan1) -> LAN A (clients 1, 2), LAN B (clients 3, 4)"
load_queue_rule
# Querier state is per interface too: mutd is the querier on both LANs.
MUTD_ARGS=(--querier)
start_translator

for i in 1 2 3 4; do start_sink "$i" --no-join --expect "$COUNT"; done
wait_sinks_ready 1 2 3 4
join() {  # join CLIENT SECONDS
	ip netns exec "$(client_ns "$1")" "$PYTHON" "$TOOLS/mcast-join" --group "$GROUP" --seconds "$2" \
		>"$WORKDIR/join-$1.log" 2>&1 &
	remember $!
}
join 1 30; join 3 30
join 4 30; JOIN_4_PID=$!
joined() { grep -q "IGMP: $1 .* joined $GROUP on $2" "$TRANSLATOR_LOG"; }
wait_until 5 joined "$(client_ip 1)" lan0 || fail "mutd did not learn client 1 on lan0"
wait_until 5 joined "$(lan_b_ip 3)" lan1 || fail "mutd did not learn client 3 on lan1"
wait_until 5 joined "$(lan_b_ip 4)" lan1 || fail "mutd did not learn client 4 on lan1"
grep "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'

# Who is where, as mutctl reports it: one entry per (interface, group).
members_json() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
groups = json.load(sys.stdin)["groups"]
print(" ".join(sorted("%s:%s" % (g["interface"], ",".join(sorted(c["ip"] for c in g["clients"]))) for g in groups)))'
}
before=$(members_json)
say "  members before the leave: $before"
check "two entries for $GROUP, one per LAN, each with its own members" \
	eq "$before" "lan0:$(client_ip 1) lan1:$(lan_b_ip 3),$(lan_b_ip 4)"

lan_packets() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
print(sum(g["packets"] for g in json.load(sys.stdin)["groups"] if g["interface"] == sys.argv[1]))' "$1"
}
LEAVE_SEQ=$((2 * RATE))
send_stream_async "$COUNT" "$RATE"
# Client 4 leaves once lan1 has carried $LEAVE_SEQ packets, wherever the sender's start put them.
reached_leave_point() { [ "$(lan_packets lan1)" -ge "$LEAVE_SEQ" ]; }
wait_until 30 reached_leave_point || fail "lan1 did not carry $LEAVE_SEQ packets within 30 s"
stop_pid "$JOIN_4_PID" TERM   # its socket closes: the kernel sends the leave
say "client 4 left after packet ~$LEAVE_SEQ"
wait_sender 20
sleep 0.5
stop_sinks 1 2 3 4
grep -E "IGMP: .* (left|expired)" "$TRANSLATOR_LOG" | sed 's/^/  /'
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
after=$(members_json)
say "  members after the leave: $after"

for i in 1 2 3 4; do
	say "  client $i ($(describe_client "$i")): frames=$(sink $i capture.frames) own-mac=$(sink $i capture.to_own_mac) group-mac=$(sink $i capture.to_group_mac) other=$(sink $i capture.to_other_mac) unique=$(sink $i capture.unique) seq=$(sink $i capture.seq_range.own)"
done
for i in 1 3; do
	check "client $i ($(describe_client $i)): every packet exactly once, as unicast" \
		eq "$(sink $i capture.to_own_mac)/$(sink $i capture.unique)/$(sink $i capture.to_group_mac)" "$COUNT/$COUNT/0"
done
check "client 2 (lan0, not a member): nothing at all" eq "$(sink 2 capture.frames)" 0
check "client 4 (lan1): no group-MAC frame" eq "$(sink 4 capture.to_group_mac)" 0
# The leave comes ~$LEAVE_SEQ packets in; generous bounds after it (the machine may be busy).
check "client 4 (lan1): unicast copies until its leave (last ≥ $((LEAVE_SEQ - 1)))" ge "$(seq_bound 4 own 1)" $((LEAVE_SEQ - 1))
check "client 4 (lan1): copies stopped after its leave (last ≤ $((COUNT - 2 * RATE)))" le "$(seq_bound 4 own 1)" $((COUNT - 2 * RATE))
check "client 4 (lan1): no gap before its leave" eq "$(sink 4 capture.unique)" "$(( $(seq_bound 4 own 1) + 1 ))"
check "mutd saw client 4 leave on lan1" grep -q "IGMP: $(lan_b_ip 4) left $GROUP on lan1" "$TRANSLATOR_LOG"
for lan in lan0 lan1; do
	check "mutd is the IGMP querier on $lan" grep -q "IGMP querier on $lan: mutd queries as" "$TRANSLATOR_LOG"
done
check "nothing left or expired on lan0" eq "$(grep -cE "IGMP: .* (left|expired from) $GROUP on lan0" "$TRANSLATOR_LOG")" 0
check "after the leave: lan0 unchanged, lan1 keeps client 3" eq "$after" "lan0:$(client_ip 1) lan1:$(lan_b_ip 3)"
# Counters per (interface, group): lan0 made one copy per packet (client 1); lan1 one per
# packet for client 3 plus client 4's until the leave.
copies() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
print(sum(g["copies"] for g in json.load(sys.stdin)["groups"] if g["interface"] == sys.argv[1]))' "$1"
}
lan0_copies=$(copies lan0); lan1_copies=$(copies lan1)
say "  copies: lan0 $lan0_copies, lan1 $lan1_copies"
check "lan0's counter: one copy per packet" eq "$lan0_copies" "$COUNT"
check "lan1's counter: client 3's copies plus client 4's" eq "$lan1_copies" "$(( COUNT + $(sink 4 capture.to_own_mac) ))"
finish
