#!/usr/bin/env bash
# A client whose IGMP is blocked in its own namespace expires after the membership interval
# and its copies stop; the other client, answering mutd's queries, keeps every packet.
# Timers shortened by configuration: query interval 2 s, max response 1 s, robustness 2:
# membership interval 2 x 2 + 1 = 5 s.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"

RATE=100
COUNT=1200   # 12 s
topology 2
for i in 1 2; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
learn_neighbours
load_queue_rule
MUTD_ARGS=(--querier --igmp-query-interval 2 --igmp-query-response-interval 1 --igmp-robustness 2)
start_translator
for i in 1 2; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2
wait_until 5 joins_logged 2 || fail "mutd did not learn both clients"
send_stream_async "$COUNT" "$RATE"
sleep 1
block_igmp 2
say "client 2: IGMP blocked at ~1 s (packet ~100)"
wait_sender 20
sleep 0.5
stop_sinks 1 2
grep -E "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
for i in 1 2; do summarize_sink "$i"; say "    unicast seq range: $(sink "$i" capture.seq_range.own)"; done
check "mutd queried (IGMP querier on lan0)" grep -q "IGMP querier on lan0: mutd queries" "$TRANSLATOR_LOG"
check "mutd expired client 2" grep -q "IGMP: $(client_ip 2) expired from $GROUP" "$TRANSLATOR_LOG"
not_expired() { ! grep -q "IGMP: $1 expired" "$TRANSLATOR_LOG"; }
check "mutd did not expire client 1" not_expired "$(client_ip 1)"
check "client 1: every packet as unicast" eq "$(sink 1 capture.to_own_mac)/$(sink 1 socket.unique)" "$COUNT/$COUNT"
check "client 1: no group-MAC frame" eq "$(sink 1 capture.to_group_mac)" 0
# Blocked at ~1 s: its last report was at most then, so it expires by ~6 s (+ 1 s of slack).
check "client 2: copies until it expired (last copy ≥ 400)" ge "$(seq_bound 2 own 1)" 400
check "client 2: copies stopped one membership interval after its last report (last copy ≤ 750)" le "$(seq_bound 2 own 1)" 750
check "client 2: no group-MAC frame" eq "$(sink 2 capture.to_group_mac)" 0
finish
