#!/usr/bin/env bash
# Hitless restart: two clients joined through IGMP, then their IGMP is blocked (no report can
# reach mutd from here on). mutd is killed with SIGKILL mid-stream: the queue bypass keeps the
# stream flowing as plain multicast. mutd starts again: it restores the memberships from its
# state file and copies resume within one second of its start, with no report in between.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (hitless restart)"

RATE=200
COUNT=2000   # 10 s
topology 2
for i in 1 2; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
learn_neighbours
load_queue_rule
start_translator
for i in 1 2; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2
wait_until 5 joins_logged 2 || fail "mutd did not learn both clients"
wait_until 5 test -s "$WORKDIR/mutd.state" || fail "mutd wrote no state file"
for i in 1 2; do block_igmp "$i"; done
t0=$(date +%s.%N)
send_stream_async "$COUNT" "$RATE"
sleep 3
stop_translator KILL
cp "$TRANSLATOR_LOG" "$WORKDIR/translator-first.log"
say "mutd killed with SIGKILL at ~3 s"
sleep 2
t_restart=$(date +%s.%N)
start_translator
say "mutd started again at ~5 s"
wait_sender 15
sleep 0.5
stop_sinks 1 2
grep -E "restored|IGMP|ready" "$TRANSLATOR_LOG" | sed 's/^/  second run: /'
restart_seq=$(awk -v a="$t0" -v b="$t_restart" -v r="$RATE" 'BEGIN { printf "%d", (b - a) * r }')
for i in 1 2; do summarize_sink "$i"; say "    seq ranges: $(sink "$i" capture.seq_range)"; done
check "mutd restored both memberships from its state file" grep -q "restored 2 IGMP membership" "$TRANSLATOR_LOG"
check "no IGMP report reached mutd after the restart" eq "$(grep -c "joined" "$TRANSLATOR_LOG")" 0
for i in 1 2; do
	# SIGKILL loses what sat in the queue unverdicted at that instant (none on an idle machine,
	# a few hundred ms' worth on a loaded one): t-failopen covers the kill; here, at most 1 s.
	check "client $i: at most 1 s of stream lost over kill and restart (socket $(sink $i socket.unique)/$COUNT)" ge "$(sink $i socket.unique)" $((COUNT - RATE))
	check "client $i: no gap while mutd was down (multicast seqs contiguous)" \
		eq "$(sink $i capture.to_group_mac)" "$(( $(seq_bound $i group 1) - $(seq_bound $i group 0) + 1 ))"
	check "client $i: plain multicast while mutd was down" ge "$(seq_bound $i group 1)" 0
	check "client $i: copies resumed within 1 s of the start (last multicast seq $(seq_bound $i group 1) ≤ $((restart_seq + RATE)))" \
		le "$(seq_bound $i group 1)" $((restart_seq + RATE))
	check "client $i: unicast copies to the end" eq "$(seq_bound $i own 1)" $((COUNT - 1))
done
finish
