#!/usr/bin/env bash
# Every viewer tracked on a flooding medium: three IGMPv2 clients joined to one group hear
# each other's reports (report suppression), yet with mutd as querier (per-host queries in
# unicast-MAC frames) all three keep receiving unicast copies over five query intervals. Then
# client 3's IGMP is blocked (it "leaves" without a leave): it expires after one membership
# interval and clients 1 and 2 are unaffected.
# Timers: query interval 5 s, max response 1 s, robustness 2 -> membership interval 11 s.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP querier)"

RATE=100
PHASE1=25    # five query intervals
PHASE2=16    # one membership interval (11 s) and slack
COUNT=$(( (PHASE1 + PHASE2) * RATE ))
topology 3
for i in 1 2 3; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=2; done
learn_neighbours
load_queue_rule
MUTD_ARGS=(--querier --igmp-query-interval 5 --igmp-query-response-interval 1 --igmp-robustness 2)
start_translator
for i in 1 2 3; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2 3
# A v2 join report can itself be suppressed by another member's report heard first: such a
# host is found by its per-host query within one round.
wait_until 12 joins_logged 3 || fail "mutd did not learn all three clients"
send_stream_async "$COUNT" "$RATE"
# Watch the suppression happen: IGMP reports seen on client 1's wire, by sender.
in_ns "$(client_ns 1)" timeout $((PHASE1 + PHASE2)) tcpdump -l -n -i eth0 igmp >"$WORKDIR/igmp-wire.txt" 2>/dev/null &
remember $!
sleep "$PHASE1"
block_igmp 3
say "client 3: IGMP blocked after $PHASE1 s (packet ~$((PHASE1 * RATE)))"
wait_sender $((PHASE2 + 10))
sleep 0.5
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status >"$WORKDIR/status.txt"
# What mutd said while the clients watched: once the sinks stop, clients 1 and 2 leave (one
# of them silently) and may expire, as they should.
cp "$TRANSLATOR_LOG" "$WORKDIR/log-while-watching.txt"
stop_sinks 1 2 3
grep -E "IGMP" "$TRANSLATOR_LOG" | grep -v "IGMP querier 10.10.2.1" | sed 's/^/  /'
grep "queries sent" "$WORKDIR/status.txt" | sed 's/^/  /'
general=$(grep -c "query v2\|query v3" "$WORKDIR/igmp-wire.txt")
reports=$(grep -c "report" "$WORKDIR/igmp-wire.txt")
say "  on client 1's wire: $reports reports; per reporter: $(grep report "$WORKDIR/igmp-wire.txt" | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')"
for i in 1 2 3; do summarize_sink "$i"; say "    unicast seq range: $(sink "$i" capture.seq_range.own)"; done
not_expired() { ! grep -q "IGMP: $1 expired" "$WORKDIR/log-while-watching.txt"; }
for i in 1 2; do
	check "client $i: never expired" not_expired "$(client_ip $i)"
	check "client $i: every packet, as unicast, once" eq "$(sink $i capture.to_own_mac)/$(sink $i socket.unique)/$(sink $i socket.duplicates)" "$COUNT/$COUNT/0"
done
check "client 3: received every packet while joined (unicast through seq $((PHASE1 * RATE - 1)))" \
	eq "$(sink 3 capture.to_own_mac)" "$(( $(seq_bound 3 own 1) + 1 ))"
check "client 3: kept receiving for the five query intervals" ge "$(seq_bound 3 own 1)" $((PHASE1 * RATE - 1))
check "client 3: expired after its IGMP was blocked" grep -q "IGMP: $(client_ip 3) expired" "$TRANSLATOR_LOG"
check "client 3: copies stopped within one membership interval (+2 s) of the block" le "$(seq_bound 3 own 1)" $(( (PHASE1 + 11 + 2) * RATE ))
for i in 1 2 3; do check "client $i: no group-MAC frame" eq "$(sink $i capture.to_group_mac)" 0; done
check "mutd sent per-host queries" grep -qE "queries sent +[0-9]+ general/group, [1-9][0-9]* per-host" "$WORKDIR/status.txt"
finish
