#!/usr/bin/env bash
# VLANs in bridged mode: IPTV in VLAN 10 crosses br-lan tagged, from the IPTV port to the
# Wi-Fi port (a trunk to the AP, VLAN 10 tagged) and to a wired port.
#
#   $NS_SRC         $NS_RTR: br-lan, mutd --interface br-lan --bridge-port wlan0
#   eth0 ---------- wan0
#                   wlan0 --------- rtr0, AP bridge br0 -- clients 1, 2, 3
#                   lan4 ---------- client 4 (wired)
#
# Clients 1, 2 and 4 send tagged IGMPv3 reports (VLAN 10); 3 does not. mutd must read the
# tagged reports (on br-lan, and on wlan0 to place the hosts), and its copies to 1 and 2 must
# carry VLAN 10, as the multicast original would on that port. Client 3 gets nothing; client 4
# gets the plain multicast.
# Where the kernel has VLAN filtering, br-lan filters (VLAN 10 tagged on wan0 and wlan0,
# untagged on lan4 and on br-lan itself). Without it, a plain bridge carries the tags
# unchanged, which is the same on the Wi-Fi port. Tagged frames are built with raw sockets
# (tools/vlan-frames), so no VLAN device is needed anywhere.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (bridged mode)"
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || skip "this kernel has no br_netfilter"

RATE=200
COUNT=1000          # 5 s
VLAN=10
SOURCE_IP=10.10.2.2
LAN_INTERFACES=br-lan
BRIDGE_PORTS=wlan0
VLAN_FRAMES="$TOOLS/vlan-frames"

make_workdir
add_ns "$NS_SRC"; add_ns "$NS_RTR"; add_ns "$NS_AP"
ip link add eth0 netns "$NS_SRC" type veth peer name wan0 netns "$NS_RTR" || fail "veth src-rtr"
ip -n "$NS_SRC" addr add "$SOURCE_IP/24" dev eth0
ip -n "$NS_SRC" link set eth0 up
ip -n "$NS_RTR" link add br-lan type bridge mcast_snooping 0 stp_state 0 || fail "bridge br-lan"
ip -n "$NS_RTR" link set wan0 master br-lan
ip -n "$NS_RTR" link set wan0 up
ip -n "$NS_RTR" addr add "$ROUTER_LAN_IP/24" dev br-lan
ap_behind_bridge_port br-lan
if ip -n "$NS_RTR" link set br-lan type bridge vlan_filtering 1 2>/dev/null; then
	FILTERING=1
	for port in wan0 wlan0; do
		bridge -n "$NS_RTR" vlan add dev "$port" vid "$VLAN" || fail "vlan $VLAN on $port"
	done
	bridge -n "$NS_RTR" vlan add dev lan4 vid "$VLAN" pvid untagged || fail "vlan $VLAN on lan4"
	bridge -n "$NS_RTR" vlan add dev br-lan vid "$VLAN" pvid untagged self || fail "vlan $VLAN on br-lan"
	say "br-lan filters VLANs: $VLAN tagged on wan0 and wlan0, untagged on lan4 and br-lan"
else
	FILTERING=0
	say "this kernel has no VLAN filtering: a plain br-lan carries the VLAN $VLAN tags unchanged"
fi
ip -n "$NS_RTR" link set br-lan up

sysctl_in "$NS_RTR" net.bridge.bridge-nf-filter-vlan-tagged=0
load_queue_rule
check "the loader switched on br_netfilter for tagged frames" \
	eq "$(in_ns "$NS_RTR" cat /proc/sys/net/bridge/bridge-nf-filter-vlan-tagged)" 1
start_translator

capture_vlan() {  # capture_vlan I: client I's frames to the test port, with their VLANs
	rm -f "$WORKDIR/vcap-$1.ready"
	ip netns exec "$(client_ns "$1")" "$PYTHON" "$VLAN_FRAMES" capture --interface eth0 --port "$PORT" \
		--duration 60 --ready-file "$WORKDIR/vcap-$1.ready" >"$WORKDIR/vcap-$1.json" 2>"$WORKDIR/vcap-$1.log" &
	eval "VCAP_PID_$1=$!"
	remember "$!"
}
for i in 1 2 3 4; do capture_vlan "$i"; done
for i in 1 2 3 4; do wait_until 10 test -e "$WORKDIR/vcap-$i.ready" || fail "capture on client $i did not start"; done

# Tagged reports from the members (the wired one untagged where lan4 is an untagged port).
report() {  # report I VLAN
	in_ns "$(client_ns "$1")" "$PYTHON" "$VLAN_FRAMES" report --interface eth0 --vlan "$2" --group "$GROUP" \
		|| fail "client $1 could not send its report"
}
report 1 "$VLAN"; report 2 "$VLAN"
if [ "$FILTERING" = 1 ]; then report 4 0; else report 4 "$VLAN"; fi
joined() { grep -q "IGMP: $(client_ip "$1") .* joined $GROUP on br-lan" "$TRANSLATOR_LOG"; }
located() { grep -q "bridge port wlan0: $(client_ip "$1") .* is behind it, VLAN $VLAN" "$TRANSLATOR_LOG"; }
for i in 1 2 4; do wait_until 5 joined "$i" || fail "mutd did not read client $i's tagged report on br-lan"; done
for i in 1 2; do wait_until 5 located "$i" || fail "mutd did not place client $i behind wlan0 in VLAN $VLAN"; done
grep -E "IGMP|bridge port" "$TRANSLATOR_LOG" | sed 's/^/  /'

in_ns "$NS_SRC" "$PYTHON" "$VLAN_FRAMES" stream --interface eth0 --vlan "$VLAN" --group "$GROUP" --port "$PORT" \
	--count "$COUNT" --rate "$RATE" >"$WORKDIR/send.json" 2>"$WORKDIR/send.log" || fail "tagged stream: $(tail -n 2 "$WORKDIR/send.log")"
say "sent $COUNT packets to $GROUP:$PORT in VLAN $VLAN at $RATE pps"
sleep 0.5
for i in 1 2 3 4; do stop_pid "$(eval echo "\$VCAP_PID_$i")" TERM; done
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups

vcap() { json_get "$WORKDIR/vcap-$1.json" "$2"; }
for i in 1 2 3 4; do say "  client $i: $(cat "$WORKDIR/vcap-$i.json")"; done
for i in 1 2; do
	check "client $i (Wi-Fi, member): every packet once, as a unicast copy" \
		eq "$(vcap $i to_own_mac)/$(vcap $i unique)/$(vcap $i to_group_mac)" "$COUNT/$COUNT/0"
	check "client $i (Wi-Fi, member): every copy tagged VLAN $VLAN" eq "$(vcap $i vlans.$VLAN)" "$COUNT"
done
check "client 3 (Wi-Fi, not a member): nothing" eq "$(vcap 3 frames)" 0
check "client 4 (wired): every packet as plain multicast" eq "$(vcap 4 to_group_mac)/$(vcap 4 to_own_mac)" "$COUNT/0"
if [ "$FILTERING" = 1 ]; then
	check "client 4 (wired, untagged port): untagged" eq "$(vcap 4 untagged)" "$COUNT"
fi
in_ns "$NS_RTR" "$ROOT/nft-rules/load" --unload >"$WORKDIR/unload.log" 2>&1
say "  $(cat "$WORKDIR/unload.log")"
check "unloading switched it off again" eq "$(in_ns "$NS_RTR" cat /proc/sys/net/bridge/bridge-nf-filter-vlan-tagged)" 0
finish
