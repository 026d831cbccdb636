#!/usr/bin/env bash
# mutd as MLD querier (--querier): its MLDv2 general queries are on the wire, from the router's
# link-local address; a client whose MLD reports are blocked in its own namespace expires after
# the membership interval and its copies stop; the other client, answering mutd's queries,
# keeps every packet. The IGMP timer flags set the MLD table's timers too: query interval 2 s,
# max response 1 s, robustness 2: membership interval 2 x 2 + 1 = 5 s.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
source "$(dirname "$0")/lib6.sh"
require_ipv6_tools

GROUP6=ff3e::8000:1
RATE=100
COUNT=1200   # 12 s

ipv6_topology 2 "$GROUP6"
load_queue_rule
MUTD_ARGS=(--querier --igmp-query-interval 2 --igmp-query-response-interval 1 --igmp-robustness 2)
start_translator
link_local() { ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ { sub("/.*", "", $2); print $2; exit }'; }
ROUTER_LL=$(link_local "$NS_RTR" lan0)
C1_LL=$(link_local "$(client_ns 1)" eth0)
C2_LL=$(link_local "$(client_ns 2)" eth0)
[ -n "$ROUTER_LL" ] && [ -n "$C1_LL" ] && [ -n "$C2_LL" ] || fail "no link-local addresses"
# MLD queries on client 1's wire: IPv6 with a hop-by-hop header (next header 0) whose next is
# ICMPv6 (58), type 130 right after its 8 bytes.
in_ns "$(client_ns 1)" timeout 25 tcpdump -l -n -i eth0 'ip6[6] == 0 and ip6[40] == 58 and ip6[48] == 130' \
	>"$WORKDIR/mld-wire.txt" 2>/dev/null &
remember $!

sink6 "$(client_ns 1)" c1
sink6 "$(client_ns 2)" c2
wait_sinks6 c1 c2
wait_until 10 mld_joins 2 || fail "mutd did not log two MLD joins of $GROUP6"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json >"$WORKDIR/status.json" || fail "mutctl status failed"
MLD_QUERIER=$("$PYTHON" -c 'import json, sys; q = json.load(open(sys.argv[1]))["mld_queriers"][0]; print(q["address"], q["origin"])' \
	"$WORKDIR/status.json")
send6 send --count "$COUNT" --rate "$RATE"
sleep 1
for type in 143 131; do
	in_ns "$(client_ns 2)" ip6tables-nft -A OUTPUT -p ipv6-icmp --icmpv6-type "$type" -j DROP \
		|| fail "cannot block MLD reports on client 2"
done
say "client 2: MLD reports blocked at ~1 s (packet ~$RATE)"
wait_until 25 test -s "$WORKDIR/send.json" || fail "the sender did not finish: $(cat "$WORKDIR/send.log")"
sleep 0.5
stop_pid "$PID_c1" TERM
stop_pid "$PID_c2" TERM
grep -E "MLD" "$TRANSLATOR_LOG" | sed 's/^/  /'
get() { get6 "$@"; }
last_own() { "$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1]))["digests"]; print(max(map(int, d)) if d else -1)' "$WORKDIR/$1.json"; }
queries_from_router() { grep -c "$ROUTER_LL > ff02::1: .*multicast listener query v2" "$WORKDIR/mld-wire.txt"; }
say "  MLD queries from $ROUTER_LL seen by client 1: $(queries_from_router)"
say "  client 1: $(get c1 frames) unique=$(get c1 own_unique)"
say "  client 2: $(get c2 frames) unique=$(get c2 own_unique) last copy #$(last_own c2)"

"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json >"$WORKDIR/status-end.json" || fail "mutctl status failed"
check "mutctl status: MLD queries counted apart from IGMP's (mld_queries_sent ≥ 5)" \
	ge "$(json_get "$WORKDIR/status-end.json" mld_queries_sent)" 5
check "translator still running" translator_alive
check "mutd became the MLD querier on lan0" grep -q "MLD querier on lan0: mutd queries as $ROUTER_LL" "$TRANSLATOR_LOG"
check "mutctl status: the MLD querier of lan0 is mutd at $ROUTER_LL" eq "$MLD_QUERIER" "$ROUTER_LL mutd"
check "mutd's MLDv2 queries on the wire from $ROUTER_LL (at least 5 in ~14 s)" ge "$(queries_from_router)" 5
check "mutd expired client 2" grep -q "MLD: $C2_LL expired from $GROUP6" "$TRANSLATOR_LOG"
not_expired() { ! grep -q "MLD: $1 expired" "$TRANSLATOR_LOG"; }
check "mutd did not expire client 1" not_expired "$C1_LL"
check "client 1: every packet as a copy to its own MAC" eq "$(get c1 own_unique)" "$COUNT"
check "client 1: no group-MAC frame" eq "$(get c1 frames.group)" 0
# Blocked at ~1 s: its last report was at most then, so it expires by ~6 s (+ 2 s of slack);
# at least ~2 s after the block (its last answer may be one query interval old).
check "client 2: copies for a while after the block (last copy ≥ 200)" ge "$(last_own c2)" 200
check "client 2: copies stopped within one membership interval of its last report (last copy ≤ 800)" le "$(last_own c2)" 800
check "client 2: no group-MAC frame" eq "$(get c2 frames.group)" 0
finish
