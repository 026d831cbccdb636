#!/usr/bin/env bash
# t-mpegts.sh over IPv6: ffmpeg in the source namespace sends the same H.264 MPEG-TS stream
# from 2001:db8:1::2 to [ff3e::8000:1]:5000 (hop limit 16); smcrouted routes it up0 -> lan0,
# the ruleset queues it, and mutd learns the two players from their own MLD joins (ffmpeg
# on client 1, VLC or a second ffmpeg on client 2; no static entry).  Verdicts as in
# t-mpegts.sh (zero continuity errors on each wire and at each player, every video frame
# recorded, every TS packet), plus: every datagram reached each client as a frame to its
# own MAC with EtherType 0x86DD, the destination address still the group; `mutctl groups`
# shows the sender's address (bound with localaddr) as the group's source.
# shellcheck source=Tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/netns/lib6.sh
source "$(dirname "$0")/lib6.sh"
# shellcheck source=Tests/netns/mpegts.sh
source "$(dirname "$0")/mpegts.sh"
require_root
require_translator
require_ipv6_tools
mpegts_require

GROUP6=ff3e::8000:1

ipv6_topology 2 "$GROUP6"
load_queue_rule
grep -q "ip6tables-nft\|nftables native" "$WORKDIR/rules.log" || fail "IPv6 rules not loaded: $(cat "$WORKDIR/rules.log")"
start_translator

# both_players_joined: mutd lists both clients' MACs as MLD members of the group (the
# players' sockets joined it; the kernel sent the reports).
both_players_joined() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json 2>/dev/null | "$PYTHON" -c '
import json, sys
macs = {c["mac"] for g in json.load(sys.stdin)["groups"] if g["group"] == sys.argv[1]
        for c in g["clients"] if c["via"] == "mld"}
sys.exit(0 if set(sys.argv[2:]) <= macs else 1)' "$GROUP6" "$(client_mac 1)" "$(client_mac 2)"
}
wait_for_joins() { wait_until 10 both_players_joined || fail "mutd did not learn both players from MLD"; }

# groups_json_now: `mutctl groups --json` while the players are still members (after the
# stream they leave and the group goes).
groups_json_now() {
	"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups --json >"$WORKDIR/groups-during.json" 2>&1
}
MPEGTS_AFTER_SEND=groups_json_now
mpegts_run "$GROUP6" "[$GROUP6]" "&localaddr=$SOURCE6" wait_for_joins
mpegts_verdicts "$GROUP6" 0x86dd
check "mutctl groups --json: the sender's address as the group's source" eq "$("$PYTHON" -c \
	'import json,sys; print(" ".join(s for g in json.load(open(sys.argv[1]))["groups"] for s in g["sources"]))' \
	"$WORKDIR/groups-during.json")" "$SOURCE6"
mpegts_mutd_verdicts
finish
