#!/usr/bin/env bash
# Querier election (RFC 3376 6.6.2): mutd queries while it is alone; when another querier with
# a lower address appears, mutd stops querying; when that one falls silent for the other
# querier present interval, mutd takes over again.
# Timers: query interval 2 s, max response 1 s, robustness 2 (other querier present: 4.5 s).
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP querier)"

topology 1
LOWER=10.10.1.250   # lower than the router's 10.10.2.1
ip -n "$(client_ns 1)" addr add "$LOWER/32" dev eth0
MUTD_ARGS=(--querier --igmp-query-interval 2 --igmp-query-response-interval 1 --igmp-robustness 2)
start_translator
# Count the router's general queries on the client's wire (to the all-hosts MAC: mutd's
# per-host queries, to a member's own MAC, are allowed beside another querier by design).
in_ns "$(client_ns 1)" timeout 30 tcpdump -l -n -e -tt -i eth0 igmp >"$WORKDIR/wire.txt" 2>/dev/null &
remember $!
sleep 5
in_ns "$(client_ns 1)" python3 "$TOOLS/igmp-query" --source "$LOWER" --count 10 --interval 1 >"$WORKDIR/other.log" 2>&1 \
	|| fail "cannot send the other querier's queries: $(cat "$WORKDIR/other.log")"
t_silent=$(date +%s.%N)
sleep 8
queries_from() {  # queries_from ADDRESS FROM TO: general queries between two epoch times
	awk -v a="$1 >" -v from="$2" -v to="$3" \
		'$0 ~ a && /query/ && /> 01:00:5e:00:00:01/ && $1 >= from && $1 < to' "$WORKDIR/wire.txt" | wc -l
}
sed 's/^/  wire: /' "$WORKDIR/wire.txt" | head -40
grep -E "querier" "$TRANSLATOR_LOG" | sed 's/^/  /'
# The other querier's first query on the wire (not when its sender was started: a loaded
# machine can take a second to start it).
first_other=$(awk -v a="$LOWER >" '$0 ~ a && /query/ { print $1; exit }' "$WORKDIR/wire.txt")
[ -n "$first_other" ] || fail "the other querier's queries were not seen on the wire"
before=$(queries_from "$ROUTER_LAN_IP" 0 "$first_other")
# Allow one of ours in flight in the first second after the other querier starts.
during=$(queries_from "$ROUTER_LAN_IP" "$(awk -v t="$first_other" 'BEGIN { printf "%.3f", t + 1 }')" "$t_silent")
after=$(queries_from "$ROUTER_LAN_IP" "$(awk -v t="$t_silent" 'BEGIN { printf "%.3f", t + 5 }')" 9999999999)
say "  mutd's queries: $before before the other querier, $during while it queried, $after after it fell silent"
check "mutd queried while alone" ge "$before" 2
check "mutd logged that it steps back" grep -q "has a lower address than ours" "$TRANSLATOR_LOG"
check "mutd sent no general query while the lower-address querier was present" eq "$during" 0
check "mutd took over again after the other querier fell silent" ge "$after" 1
finish
