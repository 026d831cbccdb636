#!/usr/bin/env bash
# The querier runs on the router itself (as igmpproxy, omcproxy or the bridge's own querier
# do) and mutd runs beside it without --querier: the router's general queries leave lan0, mutd
# hears them as frames this host sent, its timers run, and a client that falls silent (a TV
# switched off without a leave) expires. The other client loses nothing, although on this
# flooding medium it hears the other's IGMPv2 reports and suppresses its own answers to the
# router's queries: mutd's per-host queries (beside the router's querier) keep it known.
# IGMPv2 queries from the router's LAN address every 5 s through a raw IGMP socket, max
# response 1 s; mutd's timers: query interval 5 s, robustness 2: membership interval 11 s.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"

RATE=100
COUNT=2000   # 20 s
BLOCK_AT=2
topology 2
for i in 1 2; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=2; done
learn_neighbours
load_queue_rule
MUTD_ARGS=(--igmp-query-interval 5 --igmp-query-response-interval 1 --igmp-robustness 2)
start_translator
ip netns exec "$NS_RTR" python3 "$TOOLS/igmp-query" --source "$ROUTER_LAN_IP" --interface lan0 \
	--count 9 --interval 5 --max-response 10 >"$WORKDIR/router-queries.log" 2>&1 &
remember $!
in_ns "$NS_RTR" timeout 45 tcpdump -l -n -tt -i lan0 igmp >"$WORKDIR/wire.txt" 2>/dev/null &
remember $!
for i in 1 2; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2
# A v2 join report can itself be suppressed by the other client's: mutd then finds that
# client by its per-host query, within one round (two per query interval here).
wait_until 12 joins_logged 2 || fail "mutd did not learn both clients"
heard_router_querier() { grep -q "IGMP querier $ROUTER_LAN_IP (v2, this host) on lan0" "$TRANSLATOR_LOG"; }
wait_until 6 heard_router_querier || fail "mutd did not hear the router's own queries"
status=$(in_ns "$NS_RTR" "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json)
send_stream_async "$COUNT" "$RATE"
sleep "$BLOCK_AT"
block_igmp 2
say "client 2: IGMP blocked at ~$BLOCK_AT s (packet ~$((BLOCK_AT * RATE)))"
wait_sender 40
sleep 0.5
cp "$TRANSLATOR_LOG" "$WORKDIR/log-while-watching.txt"
stop_sinks 1 2
grep -E "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
say "  on the router's wire: $(grep -c 'query' "$WORKDIR/wire.txt") queries ($(grep -c "$ROUTER_LAN_IP > 224.0.0.1" "$WORKDIR/wire.txt") general), reports per client: $(grep report "$WORKDIR/wire.txt" | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')"
for i in 1 2; do summarize_sink "$i"; say "    unicast seq range: $(sink "$i" capture.seq_range.own)"; done
querier_field() { python3 -c 'import json,sys; q=json.load(sys.stdin)["queriers"][0]; v=q[sys.argv[1]]; print("%g" % v if isinstance(v, float) else v)' "$1" <<<"$status"; }
check "mutctl status: the querier is the router's LAN address" eq "$(querier_field address)" "$ROUTER_LAN_IP"
check "mutctl status: the querier is this host" eq "$(querier_field this_host)" True
check "mutctl status: membership interval 11 s" eq "$(querier_field membership_interval_s)" 11
check "mutd sent no general query of its own" eq "$(grep -c 'mutd queries as' "$TRANSLATOR_LOG")" 0
check "mutd expired client 2" grep -q "IGMP: $(client_ip 2) expired from $GROUP" "$WORKDIR/log-while-watching.txt"
not_expired() { ! grep -q "IGMP: $1 expired" "$WORKDIR/log-while-watching.txt"; }
check "mutd did not expire client 1" not_expired "$(client_ip 1)"
check "client 1: every packet as unicast" eq "$(sink 1 capture.to_own_mac)/$(sink 1 socket.unique)" "$COUNT/$COUNT"
check "client 1: no group-MAC frame" eq "$(sink 1 capture.to_group_mac)" 0
# Its last report came at most one per-host round (~5 s) before the block, so it expires 6 to
# 11 s after the block: within the membership interval + 2 s (last copy ≤ (2 + 11 + 2) × 100).
check "client 2: copies until it expired (last copy ≥ 700)" ge "$(seq_bound 2 own 1)" 700
check "client 2: copies stopped within the membership interval + 2 s of the block (last copy ≤ 1500)" \
	le "$(seq_bound 2 own 1)" $(( (BLOCK_AT + 11 + 2) * RATE ))
finish
