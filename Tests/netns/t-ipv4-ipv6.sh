#!/usr/bin/env bash
# IPv4 and IPv6 at once through one mutd: an IGMP-learned viewer of 239.1.1.1 that also
# watches ff3e::8000:3 (MLDv2), and an IPv6-only viewer. Both streams run together; each
# client gets exactly the streams it joined, every packet, as copies to its own MAC.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
source "$(dirname "$0")/lib6.sh"
require_ipv6_tools

GROUP6=ff3e::8000:3
COUNT=300
RATE=100
IPV4_TOO=1

ipv6_topology 2 "$GROUP6"
load_queue_rule
start_translator

start_sink 1 --expect "$COUNT"
start_sink 2 --no-join
sink6 "$(client_ns 1)" v6c1
sink6 "$(client_ns 2)" v6c2
wait_sinks_ready 1 2
wait_sinks6 v6c1 v6c2
wait_until 10 joins_logged 1 || fail "mutd did not log client 1's IGMP join of $GROUP"
wait_until 10 mld_joins 2 || fail "mutd did not log two MLD joins of $GROUP6"

send6 send6 --count "$COUNT" --rate "$RATE"
send_stream "$COUNT" "$RATE"
wait_until 20 test -s "$WORKDIR/send6.json" || fail "the IPv6 sender did not finish: $(cat "$WORKDIR/send6.log")"
sleep 0.5
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json >"$WORKDIR/groups.json" || fail "mutctl groups failed"
stop_sinks 1 2
for name in v6c1 v6c2; do stop_pid "$(eval echo "\$PID_$name")" TERM; done

check "translator still running" translator_alive
summarize_sink 1
check "client 1, IPv4: all $COUNT packets as copies to its own MAC" eq "$(sink 1 capture.to_own_mac)" "$COUNT"
check "client 1, IPv4: socket got all $COUNT" eq "$(sink 1 socket.unique)" "$COUNT"
check "client 1, IPv4: no group-MAC frame" eq "$(sink 1 capture.to_group_mac)" 0
check "client 2, IPv4 (not joined): no frame of $GROUP" eq "$(sink 2 capture.frames)" 0
for name in v6c1 v6c2; do
	say "  $name: $(get6 $name frames) unique=$(get6 $name own_unique)"
	check "$name, IPv6: all $COUNT packets as copies to its own MAC" eq "$(get6 $name own_unique)" "$COUNT"
	check "$name, IPv6: no group-MAC frame" eq "$(get6 $name frames.group)" 0
	check "$name, IPv6: no frame to another MAC" eq "$(get6 $name frames.other)" 0
done
check "mutctl groups: the IPv4 group, then the IPv6 one" eq "$("$PYTHON" -c \
	'import json,sys; print(" ".join(g["group"] for g in json.load(open(sys.argv[1]))["groups"]))' "$WORKDIR/groups.json")" \
	"$GROUP $GROUP6"
finish
