#!/usr/bin/env bash
# IPv6 end to end: smcrouted routes (2001:db8:1::2, ff3e::8000:1) from up0 to lan0, the
# ruleset queues it, mutd learns the viewers from MLD and sends each its own copy.
#   client 1 (MLDv2):  every packet once, to its own MAC, byte-identical to what the source
#                      sent but for the hop limit (16 - 1), no group-MAC frame;
#   client 2 (MLDv1):  the same until it leaves (MLDv1 done): copies stop within 1 s;
#   client 3:          joins, but its MLD never leaves the host: no frame of the group at all;
#   then client 2 as a static subscriber (`mutctl add`, its MAC found by neighbour discovery):
#                      every packet of a second stream as copies.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
source "$(dirname "$0")/lib6.sh"
require_ipv6_tools

GROUP6=ff3e::8000:1
COUNT=600
RATE=100

ipv6_topology 3 "$GROUP6"
sysctl_in "$(client_ns 2)" net.ipv6.conf.eth0.force_mld_version=1
in_ns "$(client_ns 3)" ip6tables-nft -A OUTPUT -p ipv6-icmp -j DROP || fail "cannot block MLD on client 3"

load_queue_rule
grep -q "ip6tables-nft\|nftables native" "$WORKDIR/rules.log" || fail "IPv6 rules not loaded: $(cat "$WORKDIR/rules.log")"
start_translator

sink6 "$NS_SRC" source --no-join --outgoing
for i in 1 2 3; do sink6 "$(client_ns "$i")" "c$i"; done
wait_sinks6 source c1 c2 c3
wait_until 10 mld_joins 2 || fail "mutd did not log two MLD joins of $GROUP6"
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

send6 send --count "$COUNT" --rate "$RATE"
sleep 3
kill -USR1 "$PID_c2"
say "client 2 leaves (MLDv1 done) at about packet $((3 * RATE))"
wait_until 20 test -s "$WORKDIR/send.json" || fail "the sender did not finish: $(cat "$WORKDIR/send.log")"
sleep 0.5
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json >"$WORKDIR/groups-after.json" || fail "mutctl groups failed"
# Before the sinks stop: client 1's socket closing sends its leave and the group goes. The
# sender's address is the kernel's pick of the source namespace's two.
check "mutctl groups --json: the stream's IPv6 source shown" "$PYTHON" -c '
import json, sys
sources = [g["sources"] for g in json.load(open(sys.argv[1]))["groups"] if g["group"] == sys.argv[2]]
sys.exit(0 if len(sources) == 1 and len(sources[0]) == 1 and sources[0][0] in sys.argv[3:] else 1)' \
	"$WORKDIR/groups-after.json" "$GROUP6" "$SOURCE6" "$SOURCE6_B"
for name in source c1 c2 c3; do stop_pid "$(eval echo "\$PID_$name")" TERM; done

get() { get6 "$@"; }
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

# A static IPv6 subscriber (`mutctl add`): client 2, no longer joined, by its global address.
# The router has never talked to it, so mutd asks the kernel to resolve it (neighbour
# discovery through rtnetlink, AF_INET6) and learns its MAC from the answer.
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" add "$GROUP6" "$(client_ip6 2)" || fail "mutctl add $GROUP6 $(client_ip6 2) failed"
static_resolved() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json | "$PYTHON" -c '
import json, sys
clients = [c for g in json.load(sys.stdin)["groups"] for c in g["clients"] if c["ip"] == sys.argv[1]]
sys.exit(0 if clients and clients[0]["mac"] == sys.argv[2] and clients[0]["via"] == "static" else 1)' "$(client_ip6 2)" "$(client_mac 2)"
}
check "mutctl add: the static IPv6 subscriber's MAC is resolved within 5 s" wait_until 5 static_resolved
sink6 "$(client_ns 2)" c2static --no-join
wait_sinks6 c2static
rm -f "$WORKDIR/send.json"
send6 send --count 100 --rate "$RATE"
wait_until 20 test -s "$WORKDIR/send.json" || fail "the sender did not finish: $(cat "$WORKDIR/send.log")"
sleep 0.5
stop_pid "$PID_c2static" TERM
say "  client 2 as a static subscriber: $(get c2static frames)"
check "static IPv6 subscriber: all 100 packets as copies to its own MAC" eq "$(get c2static own_unique)" 100
check "static IPv6 subscriber: no group-MAC frame" eq "$(get c2static frames.group)" 0
finish
