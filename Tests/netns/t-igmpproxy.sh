#!/usr/bin/env bash
# A real igmpproxy as the router's multicast router (the deployment docs/operations.md
# recommends): it queries lan0 from the router's own address, mutd runs beside it without
# --querier and shows igmpproxy's querier as "this host"; the stream igmpproxy routes reaches
# the client as unicast copies.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"
command -v igmpproxy >/dev/null || skip "igmpproxy not installed"

RATE=100
COUNT=500
backbone
add_client 1
ip -n "$NS_AP" link set br0 up
learn_neighbours
load_queue_rule
start_translator
cat >"$WORKDIR/igmpproxy.conf" <<CONF
quickleave
phyint up0 upstream ratelimit 0 threshold 1
	altnet 10.10.1.0/24
phyint lan0 downstream ratelimit 0 threshold 1
phyint lo disabled
CONF
ip netns exec "$NS_RTR" igmpproxy -n -v "$WORKDIR/igmpproxy.conf" >"$WORKDIR/igmpproxy.log" 2>&1 &
IGMPPROXY_PID=$!
remember "$IGMPPROXY_PID"
heard_igmpproxy() {
	ours "$IGMPPROXY_PID" || fail "igmpproxy exited: $(tail -n 3 "$WORKDIR/igmpproxy.log")"
	grep -q "IGMP querier $ROUTER_LAN_IP (v[0-9], this host) on lan0" "$TRANSLATOR_LOG"
}
wait_until 10 heard_igmpproxy || fail "mutd did not hear igmpproxy's queries"
status=$(in_ns "$NS_RTR" "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status)
say "$status" | sed 's/^/  /'
querier_line=$(grep "^querier lan0" <<<"$status")
start_sink 1 --expect "$COUNT"
wait_sinks_ready 1
wait_until 5 joins_logged 1 || fail "mutd did not learn the client"
send_stream "$COUNT" "$RATE"
sleep 0.5
stop_sinks 1
summarize_sink 1
grep -E "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
check "mutctl status names igmpproxy's querier: the router's address, this host" \
	grep -q "$ROUTER_LAN_IP (IGMPv[0-9], this host)" <<<"$querier_line"
check "mutd sent no query of its own" eq "$(grep -c 'mutd queries as' "$TRANSLATOR_LOG")" 0
# igmpproxy installs its route on the first packet's upcall: allow the first few.
check "client 1: the routed stream as unicast copies (≥ 95 %)" ge "$(sink 1 capture.to_own_mac)" $((COUNT * 95 / 100))
check "client 1: no group-MAC frame" eq "$(sink 1 capture.to_group_mac)" 0
finish
