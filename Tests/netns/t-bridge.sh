#!/usr/bin/env bash
# Bridged IPTV (--bridge-port): the ISP's IPTV VLAN is bridged into the LAN, not routed.
#
#   $NS_SRC                 $NS_RTR: bridge br-lan (10.10.2.1), mutd --interface br-lan --bridge-port wlan0
#   eth0.4 10.10.2.2 ------ wan0.4 (IPTV VLAN 4, a port of br-lan)
#                           wlan0 ------------- rtr0, AP bridge br0 (flooding) -- clients 1, 2, 3
#                           lan4 -------------- client 4 (wired)
#
# Clients 1 and 2 (behind the Wi-Fi port) and 4 (wired) join; 3 does not. The stream crosses
# br-lan from wan0.4 to wlan0 and lan4: 1 and 2 get every packet as unicast copies, 3 gets
# nothing, 4 gets plain multicast (lan4 is not a --bridge-port). mutd is then killed with
# SIGKILL: the queue bypass lets the stream flow on as multicast to the Wi-Fi side.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (bridged mode)"

RATE=250
COUNT=2500          # 10 s
KILL_AFTER=6        # seconds into the stream
# Packets still waiting for mutd's verdict when it dies are lost with its queue: up to a
# batch's worth, more when the machine is busy. A second of stream is the bound; after the
# kill, not one packet may be missing.
MAX_LOST=$RATE
SOURCE_IP=10.10.2.2
LAN_INTERFACES=br-lan
BRIDGE_PORTS=wlan0

make_workdir
add_ns "$NS_SRC"; add_ns "$NS_RTR"; add_ns "$NS_AP"
# The IPTV VLAN: tagged 4 on the wire between the source and the router, where the kernel has
# VLAN devices (8021q); else the untagged link stands in for it.
ip link add eth0 netns "$NS_SRC" type veth peer name wan0 netns "$NS_RTR" || fail "veth src-rtr"
ip -n "$NS_SRC" link set eth0 up
ip -n "$NS_RTR" link set wan0 up
ip -n "$NS_RTR" link add br-lan type bridge mcast_snooping 0 stp_state 0 || fail "bridge br-lan"
if ip -n "$NS_SRC" link add link eth0 name eth0.4 type vlan id 4 2>/dev/null; then
	SOURCE_IF=eth0.4
	ip -n "$NS_RTR" link add link wan0 name wan0.4 type vlan id 4 || fail "vlan device on the router"
	IPTV_PORT=wan0.4
else
	say "this kernel has no VLAN devices (8021q): the IPTV port is the untagged wan0"
	SOURCE_IF=eth0
	IPTV_PORT=wan0
fi
ip -n "$NS_SRC" addr add "$SOURCE_IP/24" dev "$SOURCE_IF"
ip -n "$NS_SRC" link set "$SOURCE_IF" up
ip -n "$NS_SRC" route add 224.0.0.0/4 dev "$SOURCE_IF"
ip -n "$NS_RTR" link set "$IPTV_PORT" master br-lan
ip -n "$NS_RTR" link set "$IPTV_PORT" up
ip -n "$NS_RTR" addr add "$ROUTER_LAN_IP/24" dev br-lan
# The Wi-Fi port, to an AP that floods multicast to its stations.
ap_behind_bridge_port br-lan
ip -n "$NS_RTR" link set br-lan up
for i in 1 2 4; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
say "topology: source (VLAN 4) -> router bridge br-lan -> wlan0 -> AP (clients 1, 2, 3) and lan4 -> client 4 [prefix $PREFIX]"

# As on a router where br_netfilter is loaded but off: the loader switches it on for br-lan
# alone, and --unload switches it off again.
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || skip "this kernel has no br_netfilter"
sysctl_in "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
brnf_flag() { in_ns "$NS_RTR" cat /sys/class/net/br-lan/bridge/nf_call_iptables; }
load_queue_rule
check "the loader names the bridge port" grep -q "bridge ports wlan0" "$WORKDIR/rules.log"
check "the loader switched br_netfilter on for br-lan only" eq "$(brnf_flag)" 1
# Mistakes fail at start, with one line naming them.
start_error() {  # start_error STATUS MESSAGE ARGS...
	local want=$1 message=$2 output status; shift 2
	output=$(in_ns "$NS_RTR" timeout 10 "$MUT_BIN_DIR/mutd" --interface br-lan --socket "$WORKDIR/bad.sock" "$@" 2>&1)
	status=$?
	check "mutd $*: exit $want, says '$message'" eval '[ "$status" = "$want" ] && [[ "$output" == *"$message"* ]]'
}
start_error 1 "lo is not a port of a bridge" --bridge-port lo
start_error 2 "given both as --interface and as --bridge-port" --bridge-port br-lan
start_error 1 "no such interface: nosuch0" --bridge-port nosuch0
start_translator

for i in 1 2 3 4; do start_sink "$i" --no-join --expect "$COUNT"; done
wait_sinks_ready 1 2 3 4
for i in 1 2 4; do
	in_ns "$(client_ns "$i")" "$PYTHON" "$TOOLS/mcast-join" --group "$GROUP" --seconds 60 >"$WORKDIR/join-$i.log" 2>&1 &
	remember $!
done
joined() { grep -q "IGMP: $(client_ip "$1") .* joined $GROUP on br-lan" "$TRANSLATOR_LOG"; }
located() { grep -q "bridge port wlan0: $(client_ip "$1") .* is behind it" "$TRANSLATOR_LOG"; }
for i in 1 2 4; do wait_until 5 joined "$i" || fail "mutd did not learn client $i on br-lan"; done
for i in 1 2; do wait_until 5 located "$i" || fail "mutd did not place client $i behind wlan0"; done
grep -E "IGMP|bridge port" "$TRANSLATOR_LOG" | sed 's/^/  /'

port_members() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    if g.get("bridge_port") == "wlan0":
        print(g["interface"], ",".join(sorted(c["ip"] for c in g["clients"])))'
}
check "mutctl groups: the wlan0 entry of br-lan holds clients 1 and 2 only" \
	eq "$(port_members)" "br-lan $(client_ip 1),$(client_ip 2)"

port_packets() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
print(sum(g["packets"] for g in json.load(sys.stdin)["groups"] if g.get("bridge_port") == "wlan0"))'
}
KILL_SEQ=$((RATE * KILL_AFTER))
send_stream_async "$COUNT" "$RATE" --interface "$SOURCE_IF"
# The kill comes when mutd has seen $KILL_SEQ packets, wherever the sender's start put them.
reached_kill_point() { [ "$(port_packets)" -ge "$KILL_SEQ" ]; }
wait_until 30 reached_kill_point || fail "mutd did not see $KILL_SEQ packets on wlan0 within 30 s"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status | grep -iE "packets|copies|passed|dropped|queue" | sed 's/^/  /'
say "  nfnetlink_queue: $(in_ns "$NS_RTR" cat /proc/net/netfilter/nfnetlink_queue)"
stop_translator KILL
say "killed mutd with SIGKILL after packet ~$KILL_SEQ"
wait_sender 20
SENT=$(json_get "$WORKDIR/send.json" sent)
sleep 0.5
stop_sinks 1 2 3 4

for i in 1 2 3 4; do
	summarize_sink "$i"
	say "    seq ranges: $(sink "$i" capture.seq_range)"
done
check "sender sent all $COUNT packets" eq "$SENT" "$COUNT"
for i in 1 2; do
	check "client $i (Wi-Fi, member): unicast copies from the first packet" eq "$(seq_bound $i own 0)" 0
	check "client $i (Wi-Fi, member): unicast copies until the kill (≥ $((KILL_SEQ / 2)))" ge "$(sink $i capture.to_own_mac)" $((KILL_SEQ / 2))
	check "client $i (Wi-Fi, member): no multicast before the kill" ge "$(seq_bound $i group 0)" $((KILL_SEQ / 2))
	check "client $i (Wi-Fi, member): plain multicast after the kill" ge "$(sink $i capture.to_group_mac)" $((RATE * 2))
	check "client $i (Wi-Fi, member): at most $MAX_LOST lost around the kill" le $((COUNT - $(sink $i capture.unique))) "$MAX_LOST"
	after_kill=$((COUNT - $(seq_bound $i group 0)))
	check "client $i (Wi-Fi, member): from the first multicast packet on, all but 1% at most" \
		ge "$(sink $i capture.to_group_mac)" $((after_kill * 99 / 100))
	check "client $i (Wi-Fi, member): no packet twice" eq "$(sink $i capture.frames)" "$(sink $i capture.unique)"
	check "client $i: payload byte-identical" eq "$(sink $i capture.identical)" "$(sink $i capture.frames)"
done
check "client 3 (Wi-Fi, not a member): no unicast frame" eq "$(sink 3 capture.to_own_mac)/$(sink 3 capture.to_other_mac)" "0/0"
check "client 3 (Wi-Fi, not a member): nothing before the kill" ge "$(seq_bound 3 group 0)" $((KILL_SEQ / 2))
# mutd never touches the wired port: plain multicast only (a busy machine may lose one or two).
check "client 4 (wired): plain multicast only" eq "$(sink 4 capture.to_own_mac)/$(sink 4 capture.to_other_mac)" "0/0"
check "client 4 (wired): every packet, but 1% at most" ge "$(sink 4 capture.unique)" $((COUNT * 99 / 100))

in_ns "$NS_RTR" "$ROOT/nft-rules/load" --unload >"$WORKDIR/unload.log" 2>&1
say "  $(cat "$WORKDIR/unload.log")"
check "the rules unload" grep -q "mut rules unloaded: removed" "$WORKDIR/unload.log"
check "unloading switched br_netfilter off again for br-lan" eq "$(brnf_flag)" 0
finish
