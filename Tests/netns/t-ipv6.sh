#!/usr/bin/env bash
# IPv6 end to end: smcrouted routes (2001:db8:1::2, ff3e::8000:1) from up0 to lan0, the
# ruleset queues it, mutd learns the viewers from MLD and sends each its own copy.
#   client 1 (MLDv2):  every packet once, to its own MAC, byte-identical to what the source
#                      sent but for the hop limit (16 - 1), no group-MAC frame;
#   client 2 (MLDv1):  the same until it leaves (MLDv1 done): copies stop within 1 s;
#   client 3:          joins, but its MLD never leaves the host: no frame of the group at all.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "IPv6 is translated by mutd only"
command -v smcrouted >/dev/null || skip "smcrouted not installed"
command -v ip6tables-nft >/dev/null || skip "ip6tables-nft not installed"

GROUP6=ff3e::8000:1
SOURCE6=2001:db8:1::2
COUNT=600
RATE=100
client_ip6() { echo "2001:db8:2::$((10 + $1))"; }

backbone
for i in 1 2 3; do add_client "$i"; done
ip -n "$NS_AP" link set br0 up
ip -n "$NS_SRC" addr add "$SOURCE6/64" dev eth0 nodad
ip -n "$NS_RTR" addr add 2001:db8:1::1/64 dev up0 nodad
ip -n "$NS_RTR" addr add 2001:db8:2::1/64 dev lan0 nodad
sysctl_in "$NS_RTR" net.ipv6.conf.all.forwarding=1
for i in 1 2 3; do ip -n "$(client_ns "$i")" addr add "$(client_ip6 "$i")/64" dev eth0 nodad; done
sysctl_in "$(client_ns 2)" net.ipv6.conf.eth0.force_mld_version=1
in_ns "$(client_ns 3)" ip6tables-nft -A OUTPUT -p ipv6-icmp -j DROP || fail "cannot block MLD on client 3"

no_tentative() {
	local ns
	for ns in "$NS_RTR" "$(client_ns 1)" "$(client_ns 2)" "$(client_ns 3)"; do
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || return 1
	done
}
wait_until 10 no_tentative || fail "link-local addresses still tentative"

{
	echo "phyint up0 enable"
	echo "phyint lan0 enable"
	echo "mroute from up0 source $SOURCE6 group $GROUP6 to lan0"
} >"$WORKDIR/smcroute6.conf"
ip netns exec "$NS_RTR" smcrouted -n -f "$WORKDIR/smcroute6.conf" -u "$WORKDIR/smcroute6.sock" \
	-i "$PREFIX" -P "$WORKDIR/smcroute6.pid" -l info >"$WORKDIR/smcroute.log" 2>&1 &
SMCROUTE_PID=$!
remember "$SMCROUTE_PID"
route6_installed() {
	ours "$SMCROUTE_PID" || fail "smcrouted exited: $(tail -n 2 "$WORKDIR/smcroute.log")"
	in_ns "$NS_RTR" ip -6 mroute show 2>/dev/null | grep -q "($SOURCE6,[[:space:]]*$GROUP6)"
}
wait_until 10 route6_installed || fail "smcrouted did not install ($SOURCE6, $GROUP6)"
say "topology: $SOURCE6 -> router (smcrouted, $GROUP6 up0->lan0) -> AP br0 -> 3 clients [prefix $PREFIX]"

load_queue_rule
grep -q "ip6tables-nft\|nftables native" "$WORKDIR/rules.log" || fail "IPv6 rules not loaded: $(cat "$WORKDIR/rules.log")"
start_translator

# sink6 NS NAME [options]: the mcast6 sink in NS, its JSON in $WORKDIR/NAME.json.
sink6() {
	local ns=$1 name=$2; shift 2
	ip netns exec "$ns" "$PYTHON" "$TOOLS/mcast6" sink --group "$GROUP6" --interface eth0 --duration 60 \
		--ready-file "$WORKDIR/$name.ready" "$@" >"$WORKDIR/$name.json" 2>"$WORKDIR/$name.log" &
	eval "PID_$name=$!"
	remember "$!"
}
sink6 "$NS_SRC" source --no-join --outgoing
for i in 1 2 3; do sink6 "$(client_ns "$i")" "c$i"; done
for name in source c1 c2 c3; do
	wait_until 10 test -e "$WORKDIR/$name.ready" || fail "sink $name did not start: $(cat "$WORKDIR/$name.log")"
done
mld_joins() { [ "$(grep -c "joined $GROUP6 on lan0" "$TRANSLATOR_LOG")" -ge 2 ]; }
wait_until 10 mld_joins || fail "mutd did not log two MLD joins of $GROUP6"
grep "MLD: .* joined $GROUP6" "$TRANSLATOR_LOG"

# What the operator sees: the group, both clients via MLD, the MLD counts.
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json >"$WORKDIR/groups.json" || fail "mutctl groups failed"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
check "mutctl groups: $GROUP6 on lan0" eq "$(json_get "$WORKDIR/groups.json" groups | "$PYTHON" -c \
	'import json,sys; print(",".join(g["group"] + "@" + g["interface"] for g in json.load(sys.stdin)))')" "$GROUP6@lan0"
check "mutctl groups: two clients learned by MLD (v2 and v1)" eq "$("$PYTHON" -c \
	'import json,sys; print(sorted((c["via"], c["mld_version"]) for c in json.load(open(sys.argv[1]))["groups"][0]["clients"]))' \
	"$WORKDIR/groups.json")" "[('mld', 1), ('mld', 2)]"
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json >"$WORKDIR/status.json" || fail "mutctl status failed"
check "mutctl status: MLD reports counted" ge "$(json_get "$WORKDIR/status.json" mld.v2_report)" 1

in_ns "$NS_SRC" "$PYTHON" "$TOOLS/mcast6" send --group "$GROUP6" --interface eth0 --count "$COUNT" --rate "$RATE" \
	>"$WORKDIR/send.json" 2>"$WORKDIR/send.log" &
SENDER=$!
remember "$SENDER"
sleep 3
kill -USR1 "$PID_c2"
say "client 2 leaves (MLDv1 done) at about packet $((3 * RATE))"
wait_until 20 test -s "$WORKDIR/send.json" || fail "the sender did not finish: $(cat "$WORKDIR/send.log")"
sleep 0.5
for name in source c1 c2 c3; do stop_pid "$(eval echo "\$PID_$name")" TERM; done

get() { json_get "$WORKDIR/$1.json" "$2"; }
# identical NAME: how many of NAME's packets have the digest the source's packet of the same
# number has (the whole IPv6 packet; the hop limit aside, and the UDP checksum, which the
# sender's side may capture unfinished and the client checks on its own).
identical() {
	"$PYTHON" - "$WORKDIR/source.json" "$WORKDIR/$1.json" <<-'PY'
	import json, sys
	sent = json.load(open(sys.argv[1]))["digests"]
	got = json.load(open(sys.argv[2]))["digests"]
	print(sum(1 for seq, digest in got.items() if sent.get(seq) == digest))
	PY
}

check "translator still running" translator_alive
check "source side: all $COUNT packets seen leaving" eq "$(get source frames.group)" "$COUNT"
say "  client 1: $(get c1 frames) unique=$(get c1 own_unique) hops=$(get c1 hop_limits)"
check "client 1: all $COUNT packets as copies to its own MAC" eq "$(get c1 own_unique)" "$COUNT"
check "client 1: no duplicates" eq "$(get c1 own_duplicates)" 0
check "client 1: no group-MAC frame" eq "$(get c1 frames.group)" 0
check "client 1: no frame to another MAC" eq "$(get c1 frames.other)" 0
check "client 1: the socket got all $COUNT" eq "$(get c1 socket_unique)" "$COUNT"
check "client 1: hop limit is the sender's minus one" eq "$(get c1 hop_limits)" "{\"15\": $COUNT}"
check "client 1: every packet byte-identical to the source's (hop limit aside)" eq "$(identical c1)" "$COUNT"
check "client 1: every UDP checksum valid" eq "$(get c1 udp_checksums_ok)" "$COUNT"
say "  client 2: $(get c2 frames) unique=$(get c2 own_unique) last copy $(get c2 own_after_leave_s) s after leaving"
check "client 2: copies to its own MAC before it left" ge "$(get c2 own_unique)" $((2 * RATE))
check "client 2: byte-identical copies" eq "$(identical c2)" "$(get c2 own_unique)"
check "client 2: no group-MAC frame" eq "$(get c2 frames.group)" 0
check "client 2: copies stop within 1 s of its MLDv1 done" \
	"$PYTHON" -c "import sys; sys.exit(0 if float('$(get c2 own_after_leave_s)') <= 1.0 else 1)"
check "client 2: far fewer than all packets" le "$(get c2 own_unique)" $((COUNT - 2 * RATE))
check "mutd logged client 2's leave" grep -q "MLD: .* left $GROUP6 on lan0" "$TRANSLATOR_LOG"
say "  client 3: $(get c3 frames) socket=$(get c3 socket_unique)"
check "client 3 (MLD blocked): no frame of the group" eq "$(get c3 frames)" '{"own": 0, "group": 0, "other": 0}'
check "client 3 (MLD blocked): socket received nothing" eq "$(get c3 socket_unique)" 0
finish
