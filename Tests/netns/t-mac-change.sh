#!/usr/bin/env bash
# Neighbour watch: a client's MAC changes in place (lease reused, device replaced); after its
# first traffic the kernel's neighbour table has the new MAC, and the copies follow within a
# second. No IGMP report is sent in between (no querier, the client stays joined).
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (neighbour watch)"

RATE=200
COUNT=1200   # 6 s
NEW_MAC=02:00:00:00:09:11
topology 2
for i in 1 2; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
learn_neighbours
load_queue_rule
start_translator
for i in 1 2; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2
wait_until 5 grep -q "$(client_ip 1) (.*) joined" "$TRANSLATOR_LOG" || fail "mutd did not learn client 1"
wait_until 5 grep -q "$(client_ip 2) (.*) joined" "$TRANSLATOR_LOG" || fail "mutd did not learn client 2"
block_igmp 1   # from here on, only the neighbour table can tell mutd about client 1
send_stream_async "$COUNT" "$RATE"
sleep 2
ip -n "$(client_ns 1)" link set dev eth0 address "$NEW_MAC"
in_ns "$(client_ns 1)" bash -c "echo mac-change >/dev/udp/$ROUTER_LAN_IP/9" 2>/dev/null
say "client 1: MAC changed to $NEW_MAC at ~2 s (packet ~$((2 * RATE))), then one datagram to the router"
wait_sender 15
sleep 0.5
stop_sinks 1 2
grep -E "neighbour|IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
for i in 1 2; do summarize_sink "$i"; say "    destination MACs: $(sink "$i" capture.dst_macs)"; done
to_mac() { sink 1 capture.dst_macs | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }
old=$(to_mac "$(client_mac 1)"); new=$(to_mac "$NEW_MAC")
check "mutd saw the MAC change" grep -q "neighbour $(client_ip 1) changed MAC $(client_mac 1) -> $NEW_MAC" "$TRANSLATOR_LOG"
check "client 1: copies to the new MAC within a second (≥ $((COUNT - 3 * RATE)) of $COUNT; old $old, new $new)" ge "$new" $((COUNT - 3 * RATE))
check "client 1: old + new MAC copies = every packet once" eq "$((old + new))" "$COUNT"
check "client 1: no group-MAC frame" eq "$(sink 1 capture.to_group_mac)" 0
check "client 2: unaffected, every packet as unicast" eq "$(sink 2 capture.to_own_mac)/$(sink 2 socket.unique)" "$COUNT/$COUNT"
finish
