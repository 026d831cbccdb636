#!/bin/sh
# The queue ruleset in a real forwarding path (needs root; exit 77 = skipped).
#
#   source ns (eth0 10.1.0.2) ── up0 | router ns | lan0 ── eth0 (10.2.0.2) client ns
#                                  ip_forward, smcrouted: 239.1.1.1 from up0 to lan0
#
# Checks, with counters:
#   A. the native ruleset's match (its `queue` statement swapped for a plain counter)
#      counts forwarded 239.1.1.1 leaving lan0, and neither 224.0.0.251 nor multicast
#      the router sends itself;
#   B. `load` picks a backend (says which), its queue rule counts the same packets
#      and only those, and with no queue reader the traffic still reaches the client
#      (bypass);
#   C. loading twice replaces, never duplicates;
#   D. `--unload` leaves no mut rules, and a second `--unload` is fine.
#
# Exit 0 pass, 1 fail, 77 skipped.

# $mut_queue and $lan_interfaces in single quotes are nft's variables, not ours.
# shellcheck disable=SC2016
set -u

here=$(cd "$(dirname "$0")" && pwd)
load="$here/../../nft-rules/load"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP t-ruleset: needs root (network namespaces)"
	exit 77
fi
for tool in ip nft iptables-nft smcrouted python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP t-ruleset: $tool not installed"
		exit 77
	fi
done

prefix="mut$$"
ns_source="$prefix-s"
ns_router="$prefix-r"
ns_client="$prefix-c"
work=$(mktemp -d "${TMPDIR:-/tmp}/t-ruleset.XXXXXX")
smcrouted_pid=""

cleanup() {
	trap '' INT TERM # finish cleaning up even when asked to stop again
	if [ -n "$smcrouted_pid" ]; then
		kill "$smcrouted_pid" 2>/dev/null
		wait "$smcrouted_pid" 2>/dev/null
	fi
	for ns in "$ns_source" "$ns_router" "$ns_client"; do
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0
failed=0
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok   $1 ($3)"
		passed=$((passed + 1))
	else
		echo "FAIL $1: expected $2, got $3"
		failed=$((failed + 1))
	fi
}
die() {
	echo "FAIL setup: $*"
	exit 1
}

in_source() { ip netns exec "$ns_source" "$@"; }
in_router() { ip netns exec "$ns_router" "$@"; }
in_client() { ip netns exec "$ns_client" "$@"; }

# --- topology -------------------------------------------------------------------

for ns in "$ns_source" "$ns_router" "$ns_client"; do
	ip netns add "$ns" || die "cannot create namespace $ns"
	ip -n "$ns" link set lo up
done
ip link add eth0 netns "$ns_source" type veth peer name up0 netns "$ns_router" ||
	die "cannot create veth source-router"
ip link add lan0 netns "$ns_router" type veth peer name eth0 netns "$ns_client" ||
	die "cannot create veth router-client"
ip -n "$ns_source" addr add 10.1.0.2/24 dev eth0
ip -n "$ns_source" link set eth0 up
ip -n "$ns_source" route add default via 10.1.0.1
ip -n "$ns_router" addr add 10.1.0.1/24 dev up0
ip -n "$ns_router" addr add 10.2.0.1/24 dev lan0
ip -n "$ns_router" link set up0 up
ip -n "$ns_router" link set lan0 up
ip -n "$ns_client" addr add 10.2.0.2/24 dev eth0
ip -n "$ns_client" link set eth0 up
ip -n "$ns_client" route add default via 10.2.0.1
in_router sysctl -qw net.ipv4.ip_forward=1

cat >"$work/smcroute.conf" <<EOF
phyint up0 enable
phyint lan0 enable
mroute from up0 group 239.1.1.1 to lan0
mroute from up0 source 10.1.0.2 group 239.1.1.1 to lan0
EOF
# Not through in_router: `&` on a function forks a subshell, and $! would name that
# subshell instead of smcrouted (`ip netns exec` execs the command in its own place).
ip netns exec "$ns_router" smcrouted -n -N -c 0 -l err -i "$prefix" -f "$work/smcroute.conf" \
	-u "$work/smcroute.sock" -P "$work/smcroute.pid" >"$work/smcrouted.log" 2>&1 &
smcrouted_pid=$!

# The (S,G) route must be in the kernel before the first packet (no upcall waits).
tries=0
until in_router ip mroute show 2>/dev/null | grep -q '(10.1.0.2,239.1.1.1)'; do
	tries=$((tries + 1))
	[ "$tries" -le 50 ] || die "smcrouted installed no route: $(cat "$work/smcrouted.log")"
	sleep 0.1
done

# The client counts what arrives (prerouting sees multicast whether joined or not).
in_client nft -f - <<'EOF' || die "cannot load the client's counters"
table ip seen {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 239.1.1.1 counter
		ip daddr 224.0.0.251 counter
	}
}
EOF

# --- helpers --------------------------------------------------------------------

# send NS FROM_ADDR GROUP COUNT: COUNT UDP datagrams to GROUP, TTL 8, out the
# interface holding FROM_ADDR.
send() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" <<'EOF'
import socket, sys
source, group, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
for sequence in range(count):
    s.sendto(b"t-ruleset %d" % sequence, (group, 5000))
EOF
}

# packets_for NS PATTERN: the packet counts of the rules matching PATTERN in
# `nft list ruleset` (iptables-nft rules show there too), summed.
packets_for() {
	ip netns exec "$1" nft list ruleset 2>/dev/null |
		grep -E -- "$2" |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' |
		awk '{ sum += $1 } END { print sum + 0 }'
}

client_seen() { packets_for "$ns_client" "ip daddr $1 counter"; }

# wait_client GROUP COUNT: until the client has seen COUNT packets to GROUP (5 s at most).
wait_client() {
	tries=0
	while [ "$(client_seen "$1")" -lt "$2" ] && [ "$tries" -lt 50 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
}

# queued: packets counted by the queue rules in the router.
queued() { packets_for "$ns_router" '(queue|NFQUEUE)'; }

# The traffic of each round: 20 forwarded 239.1.1.1 packets, then 5 of each kind the
# rule must leave alone: 224.0.0.251 from the source (the kernel does not route
# 224.0.0.0/24), 239.1.1.1 and 224.0.0.251 sent by the router itself out lan0.
forwarded=20
own=5
expected_group=0
expected_local=0
send_forwarded() {
	send "$ns_source" 10.1.0.2 239.1.1.1 "$forwarded"
	expected_group=$((expected_group + forwarded))
	wait_client 239.1.1.1 "$expected_group"
}
send_others() {
	send "$ns_source" 10.1.0.2 224.0.0.251 "$own"
	send "$ns_router" 10.2.0.1 239.1.1.1 "$own"
	send "$ns_router" 10.2.0.1 224.0.0.251 "$own"
	expected_group=$((expected_group + own))
	expected_local=$((expected_local + own))
	wait_client 239.1.1.1 "$expected_group"
	wait_client 224.0.0.251 "$expected_local"
}

# --- A. the native ruleset's match ----------------------------------------------

"$load" --dry-run --interface lan0 --queue 0 >"$work/dry-run" || die "load --dry-run failed"
sed -n '/^# backend 1/,/^# then/p' "$work/dry-run" | sed '1d;$d' >"$work/native.nft"
grep -q 'queue num \$mut_queue bypass$' "$work/native.nft" ||
	die "no queue statement in the generated ruleset"
sed 's/ queue num \$mut_queue bypass$//' "$work/native.nft" >"$work/match-only.nft"

echo "# A. native ruleset, queue statement replaced by a plain counter"
if in_router nft -f "$work/match-only.nft" 2>"$work/nft.err"; then
	match_rule='oifname .*224\.0\.0\.0/4.* counter packets'
	send_forwarded
	check "forwarded 239.1.1.1 out lan0 matches the rule" "$forwarded" \
		"$(packets_for "$ns_router" "$match_rule")"
	send_others
	check "224.0.0.251 and the router's own multicast do not match" "$forwarded" \
		"$(packets_for "$ns_router" "$match_rule")"
	check "the client saw every 239.1.1.1 packet" "$expected_group" "$(client_seen 239.1.1.1)"
	check "the client saw the router's 224.0.0.251" "$expected_local" "$(client_seen 224.0.0.251)"
	in_router nft delete table inet mut
else
	check "the native ruleset (without queue) loads" "loaded" "$(head -n 1 "$work/nft.err")"
fi

if in_router nft -f "$work/native.nft" 2>"$work/nft.err"; then
	echo "# this kernel has the nft queue statement"
	in_router nft delete table inet mut
else
	echo "# this kernel rejects the nft queue statement: $(grep -m 1 Error "$work/nft.err")"
fi

# --- B. load, the real queue rule, bypass ---------------------------------------

echo "# B. load"
output=$(in_router "$load" --interface lan0 --queue 0 2>&1)
status=$?
echo "# $output"
check "load exits 0" 0 "$status"
case "$output" in
"mut rules loaded: nftables native queue, interfaces lan0, queue 0") backend=native ;;
"mut rules loaded: xtables NFQUEUE via iptables-nft"*"), interfaces lan0, queue 0") backend=xtables ;;
*) backend=unknown ;;
esac
check "load names the backend it used" "yes" "$([ "$backend" != unknown ] && echo yes || echo "$output")"

before=$(queued)
send_forwarded
check "forwarded 239.1.1.1 hits the queue rule" $((before + forwarded)) "$(queued)"
send_others
check "224.0.0.251 and the router's own multicast do not hit it" $((before + forwarded)) "$(queued)"
check "with no queue reader the client still got every 239.1.1.1 (bypass)" \
	"$expected_group" "$(client_seen 239.1.1.1)"

# --- C. load again: replaced, not duplicated --------------------------------------

echo "# C. load again"
rules_once=$(in_router nft list ruleset 2>/dev/null | grep -c -E '(queue|NFQUEUE)')
in_router "$load" --interface lan0 --queue 0 >/dev/null 2>&1
check "loading twice leaves the same number of queue rules" "$rules_once" \
	"$(in_router nft list ruleset 2>/dev/null | grep -c -E '(queue|NFQUEUE)')"
check "one jump into the xtables chain at most" "yes" \
	"$([ "$(in_router iptables-nft -t security -S FORWARD 2>/dev/null | grep -c -- '-j MUT$')" -le 1 ] && echo yes || echo no)"

in_router "$load" --interface lan0 --queue 2-3 >/dev/null 2>&1
check "a queue range loads with fanout" "yes" \
	"$(in_router nft list ruleset 2>/dev/null | grep -q -E 'queue.*2-3.*fanout|queue-balance 2:3' && echo yes || echo no)"

# --- D. unload ------------------------------------------------------------------

echo "# D. unload"
output=$(in_router "$load" --unload 2>&1)
check "--unload exits 0" 0 "$?"
echo "# $output"
leftovers=$(in_router nft list ruleset 2>/dev/null | grep -c -E 'table inet mut|chain MUT|jump MUT|queue|NFQUEUE')
check "no mut rules are left" 0 "$leftovers"
output=$(in_router "$load" --unload 2>&1)
check "a second --unload exits 0" 0 "$?"
check "a second --unload finds nothing" "mut rules unloaded: none were loaded" "$output"

echo "t-ruleset: backend $backend; $passed passed, $failed failed"
[ "$failed" = 0 ]
