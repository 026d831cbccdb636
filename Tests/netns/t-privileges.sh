#!/usr/bin/env bash
# Least privilege: `mutd --user nobody` opens its sockets as root, then runs as nobody with
# exactly CAP_NET_ADMIN and CAP_NET_RAW (CapEff = CapPrm = CapBnd = 0x3000, nothing
# inheritable or ambient, NoNewPrivs), on every thread. After the drop the data path works
# (every packet reaches the static subscriber as a unicast copy, the original is dropped),
# the kernel still resolves a client's MAC on mutd's request (RTM_NEWNEIGH NTF_USE: client 1
# sent nothing before mutd started, so its MAC is unknown until then), IGMP snooping still
# learns a joiner (client 2), and mutctl still answers.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd"
USER_NAME=nobody
USER_UID=$(id -u "$USER_NAME" 2>/dev/null) || skip "no user $USER_NAME"
USER_GID=$(id -g "$USER_NAME")
MUTCTL="$MUT_BIN_DIR/mutctl"

COUNT=600
topology 2
# No learn_neighbours: the router has no entry for client 1 until mutd asks the kernel.
load_queue_rule
neighbour_known 1 && fail "the router already knows client 1's MAC; the resolution check would prove nothing"
# The user's own directory for the state file, as systemd's RuntimeDirectory with User= gives.
mkdir -p "$WORKDIR/state" && chown "$USER_NAME" "$WORKDIR/state"
MUTD_ARGS=(--user "$USER_NAME" --state-file "$WORKDIR/state/mutd.state")
start_translator 1
grep "running as" "$TRANSLATOR_LOG" | sed 's/^/  /'

status_field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$2/status"; }
pid=$TRANSLATOR_PID
say "  /proc/$pid/status: Uid $(status_field Uid "$pid") | Gid $(status_field Gid "$pid") | Groups $(status_field Groups "$pid")"
say "  CapInh $(status_field CapInh "$pid") CapPrm $(status_field CapPrm "$pid") CapEff $(status_field CapEff "$pid") CapBnd $(status_field CapBnd "$pid") CapAmb $(status_field CapAmb "$pid") NoNewPrivs $(status_field NoNewPrivs "$pid")"
all_ids() { local want=$1; shift; for v in "$@"; do [ "$v" = "$want" ] || return 1; done; }
# shellcheck disable=SC2046  # split the four ids on purpose
check "Uid (real, effective, saved, fs) all $USER_UID" all_ids "$USER_UID" $(status_field Uid "$pid")
# shellcheck disable=SC2046
check "Gid (real, effective, saved, fs) all $USER_GID" all_ids "$USER_GID" $(status_field Gid "$pid")
check "no supplementary group but $USER_GID" eq "$(status_field Groups "$pid" | xargs)" "$USER_GID"
check "CapEff = 0x3000 (NET_ADMIN|NET_RAW)" eq "$(status_field CapEff "$pid")" 0000000000003000
check "CapPrm = 0x3000" eq "$(status_field CapPrm "$pid")" 0000000000003000
check "CapInh = 0" eq "$(status_field CapInh "$pid")" 0000000000000000
check "CapAmb = 0" eq "$(status_field CapAmb "$pid")" 0000000000000000
check "CapBnd = 0x3000" eq "$(status_field CapBnd "$pid")" 0000000000003000
check "NoNewPrivs = 1" eq "$(status_field NoNewPrivs "$pid")" 1
# Capabilities are per thread: the data-plane thread must have been started after the drop.
threads_ok() {
	local task
	for task in /proc/"$pid"/task/*; do
		[ "$(awk '$1 == "CapEff:" { print $2 }' "$task/status")" = 0000000000003000 ] || return 1
		[ "$(awk '$1 == "Uid:" { print $2 }' "$task/status")" = "$USER_UID" ] || return 1
	done
}
check "every thread ($(ls /proc/"$pid"/task | wc -l)) has uid $USER_UID and CapEff 0x3000" threads_ok

# Data path and neighbour resolution after the drop.
start_sink 1 --expect "$COUNT"
start_sink 2 --no-join --expect "$COUNT"
wait_sinks_ready 1 2
in_ns "$(client_ns 2)" python3 "$TOOLS/mcast-join" --group "$GROUP" --seconds 30 >"$WORKDIR/join-2.log" 2>&1 &
remember $!
wait_until 5 grep -q "joined $GROUP on lan0" "$TRANSLATOR_LOG" || fail "mutd (as $USER_NAME) learned no IGMP join"
wait_until 5 neighbour_known 1 || fail "client 1's MAC was not resolved after the drop"
check "router resolved client 1's MAC on mutd's request" neighbour_known 1
macs_known() {
	"$MUTCTL" --socket "$MUTD_SOCKET" groups --json 2>/dev/null | python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"]; sys.exit(0 if g and len(g[0]["clients"]) == 2 and all(c["mac"] for c in g[0]["clients"]) else 1)'
}
wait_until 5 macs_known || fail "mutd does not know both clients' MACs: $("$MUTCTL" --socket "$MUTD_SOCKET" groups)"
send_stream "$COUNT" 300
sleep 0.5
stop_sinks 1 2
summarize_sink 1; summarize_sink 2
for i in 1 2; do
	check "client $i: all $COUNT packets, once each, as unicast copies" eq "$(sink $i capture.to_own_mac)/$(sink $i capture.unique)" "$COUNT/$COUNT"
	check "client $i: no group-MAC original" eq "$(sink $i capture.to_group_mac)" 0
done
"$MUTCTL" --socket "$MUTD_SOCKET" status >"$WORKDIR/status.txt" 2>&1
check "mutctl status answers" eq $? 0
check "mutd still alive" translator_alive
check "no permission error logged" eq "$(grep -ciE "permission|not permitted|EPERM" "$TRANSLATOR_LOG")" 0
check "the state file is written as $USER_NAME after the drop" \
	eq "$(stat -c %U "$WORKDIR/state/mutd.state" 2>/dev/null)" "$USER_NAME"

# SIGTERM after the drop: the queue is unbound (CAP_NET_ADMIN suffices) and mutd says so.
stop_translator TERM
check "stops cleanly on SIGTERM as $USER_NAME" grep -q "mutd: stopped:" "$TRANSLATOR_LOG"
queue_listed() { in_ns "$NS_RTR" awk -v q="$QUEUE" '$1 == q { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue; }
check "queue $QUEUE unbound after the stop" eval '! queue_listed'

# Refusals: an unknown user fails before any socket is opened, with one clear line.
ip netns exec "$NS_RTR" "$MUT_BIN_DIR/mutd" --interface lan0 --queue 7 --socket "$WORKDIR/other.sock" \
	--user no-such-user-mut >"$WORKDIR/nouser.out" 2>&1
rc=$?
check "--user no-such-user-mut: exit 1 ($rc) saying so" eq "$rc/$(grep -c "no such user" "$WORKDIR/nouser.out")" "1/1"
finish
