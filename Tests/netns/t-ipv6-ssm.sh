#!/usr/bin/env bash
# MLDv2 SSM: two sources send to one IPv6 group; client 1 joins (S1, G), client 2 (S2, G),
# client 3 does not join. Each client gets only its source, every packet, as copies to its
# own MAC; client 3 gets nothing; `mutctl groups` shows each client's INCLUDE filter.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
source "$(dirname "$0")/lib6.sh"
require_ipv6_tools

GROUP6=ff3e::8000:2
COUNT=300
RATE=100

ipv6_topology 3 "$GROUP6"
load_queue_rule
start_translator

sink6 "$(client_ns 1)" c1 --source "$SOURCE6"
sink6 "$(client_ns 2)" c2 --source "$SOURCE6_B"
sink6 "$(client_ns 3)" c3 --no-join
wait_sinks6 c1 c2 c3
wait_until 10 mld_joins 2 || fail "mutd did not log two MLD joins of $GROUP6"
grep "MLD: .* joined $GROUP6" "$TRANSLATOR_LOG"

send6 send-a --source "$SOURCE6" --count "$COUNT" --rate "$RATE"
send6 send-b --source "$SOURCE6_B" --count "$COUNT" --rate "$RATE"
wait_until 20 test -s "$WORKDIR/send-a.json" || fail "sender A did not finish: $(cat "$WORKDIR/send-a.log")"
wait_until 20 test -s "$WORKDIR/send-b.json" || fail "sender B did not finish: $(cat "$WORKDIR/send-b.log")"
sleep 0.5
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json >"$WORKDIR/groups.json" || fail "mutctl groups failed"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
for name in c1 c2 c3; do stop_pid "$(eval echo "\$PID_$name")" TERM; done

check "translator still running" translator_alive
say "  client 1: $(get6 c1 frames) by source $(get6 c1 own_by_source)"
check "client 1: every packet of $SOURCE6 and nothing of $SOURCE6_B" eq "$(get6 c1 own_by_source)" "{\"$SOURCE6\": $COUNT}"
say "  client 2: $(get6 c2 frames) by source $(get6 c2 own_by_source)"
check "client 2: every packet of $SOURCE6_B and nothing of $SOURCE6" eq "$(get6 c2 own_by_source)" "{\"$SOURCE6_B\": $COUNT}"
for name in c1 c2; do
	check "$name: no group-MAC frame" eq "$(get6 $name frames.group)" 0
	check "$name: no frame to another MAC" eq "$(get6 $name frames.other)" 0
	check "$name: no duplicates" eq "$(get6 $name own_duplicates)" 0
done
check "client 3 (not joined): no frame of the group" eq "$(get6 c3 frames)" '{"own": 0, "group": 0, "other": 0}'
check "mutctl groups: each client's INCLUDE filter" eq "$("$PYTHON" -c \
	'import json,sys; print(sorted((c["filter"]["mode"], c["filter"]["sources"]) for c in json.load(open(sys.argv[1]))["groups"][0]["clients"]))' \
	"$WORKDIR/groups.json")" "[('include', ['$SOURCE6']), ('include', ['$SOURCE6_B'])]"
finish
