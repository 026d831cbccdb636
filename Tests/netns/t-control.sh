#!/usr/bin/env bash
# The control socket and mutctl against a real mutd:
#   status --json and groups --json count exactly what was sent and delivered;
#   disable -> originals as multicast, no copies; enable -> unicast again;
#   add / del change delivery within a second; max-clients 2 with three members ->
#   plain multicast, one deleted -> copies; a user outside the socket's group cannot
#   disable; exit codes 0/1/2/3; `mutctl metrics` parses with prometheus_client;
#   SIGHUP reloads the config file and keeps what `mutctl add` added.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd"
MUTCTL="$MUT_BIN_DIR/mutctl"

topology 3
for i in 1 2 3; do block_igmp "$i"; done
learn_neighbours
load_queue_rule

ctl() { "$MUTCTL" --socket "$MUTD_SOCKET" "$@"; }
# ctl_json FILE COMMAND...: save a JSON answer.
ctl_json() { local f=$1; shift; ctl "$@" --json >"$f" || fail "mutctl $* failed"; }
# group_value PATH: a value of the one group's entry in the last groups answer.
group_value() { json_get "$WORKDIR/groups.json" "$1"; }
client_copies() {
	python3 - "$WORKDIR/groups.json" "$1" <<-'PY'
	import json, sys
	groups = json.load(open(sys.argv[1]))["groups"]
	print(sum(c.get("copies", 0) for g in groups for c in g["clients"] if c["ip"] == sys.argv[2]))
	PY
}
# stream_round COUNT CLIENTS...: sinks on the clients, COUNT packets, results in sink-I.json.
stream_round() {
	local count=$1 i; shift
	for i in "$@"; do start_sink "$i" --expect "$count"; done
	wait_sinks_ready "$@"
	send_stream "$count" 250
	sleep 0.5
	stop_sinks "$@"
}

# ---- counts
say "== counts"
cat >"$WORKDIR/mutd.conf" <<-EOF
	# written by t-control.sh
	static = $GROUP,$(client_ip 1)
	EOF
MUTD_ARGS=(--config "$WORKDIR/mutd.conf")
start_translator 2
macs_known() {
	ctl groups --json 2>/dev/null | python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"]; sys.exit(0 if g and all(c["mac"] for c in g[0]["clients"]) and len(g[0]["clients"]) == 2 else 1)'
}
wait_until 5 macs_known || fail "clients 1 and 2 not both known with their MACs"
stream_round 200 1 2 3
ctl_json "$WORKDIR/status.json" status
ctl_json "$WORKDIR/groups.json" groups
st() { json_get "$WORKDIR/status.json" "$1"; }
check "status: packets = 200 sent" eq "$(st packets)" 200
check "status: copies = 400 (2 subscribers)" eq "$(st copies)" 400
check "status: dropped = 200 originals" eq "$(st dropped)" 200
check "status: passed = 0" eq "$(st passed)" 0
check "status: enabled, interfaces, queues" eq "$(st enabled)/$(st interfaces)/$(st queues)" 'True/["lan0"]/[0]'
check "status: 1 group, 2 clients" eq "$(st groups)/$(st clients)" "1/2"
check "groups: group packets = 200" eq "$(python3 -c "import json;print(json.load(open('$WORKDIR/groups.json'))['groups'][0]['packets'])")" 200
check "groups: group copies = 400" eq "$(python3 -c "import json;print(json.load(open('$WORKDIR/groups.json'))['groups'][0]['copies'])")" 400
check "groups: client 1 copies = 200 = delivered $(sink 1 capture.to_own_mac)" eq "$(client_copies "$(client_ip 1)")" "$(sink 1 capture.to_own_mac)"
check "groups: client 2 copies = 200 = delivered $(sink 2 capture.to_own_mac)" eq "$(client_copies "$(client_ip 2)")" 200
check "client 3 got nothing" eq "$(sink 3 capture.frames)" 0
ctl groups >"$WORKDIR/groups.txt"; cat "$WORKDIR/groups.txt"
check "groups table names both clients" grep -q "$(client_ip 2)" "$WORKDIR/groups.txt"

# ---- metrics
ctl metrics >"$WORKDIR/metrics.prom" || fail "mutctl metrics"
sh "$ROOT/Tests/shell/metrics-check.sh" "$WORKDIR/metrics.prom"
rc=$?
if [ $rc -eq 77 ]; then say "  (metrics parser unavailable: skipped)"; else check "metrics: valid exposition (prometheus_client)" eq $rc 0; fi
check "metrics: copies counter = 400" grep -qx "mut_copies_total 400" "$WORKDIR/metrics.prom"

# ---- disable / enable
say "== disable / enable"
check "disable: exit 0" ctl disable
stream_round 100 1
check "disabled: client 1 got all 100 as multicast" eq "$(sink 1 capture.to_group_mac)/$(sink 1 socket.unique)" "100/100"
check "disabled: no unicast copy" eq "$(sink 1 capture.to_own_mac)" 0
check "enable: exit 0" ctl enable
stream_round 100 1
check "enabled: client 1 got all 100 as unicast" eq "$(sink 1 capture.to_own_mac)/$(sink 1 socket.unique)" "100/100"

# ---- add / del
say "== add / del"
check "add client 3: exit 0" ctl add "$GROUP" "$(client_ip 3)"
sleep 1
stream_round 100 3
check "added within a second: client 3 got 100 unicast copies" eq "$(sink 3 capture.to_own_mac)" 100
check "del client 3: exit 0" ctl del "$GROUP" "$(client_ip 3)"
sleep 1
stream_round 100 3
check "deleted within a second: client 3 got nothing" eq "$(sink 3 capture.frames)" 0

# ---- exit codes
say "== exit codes"
ctl status >/dev/null; check "status: exit 0" eq $? 0
ctl del "$GROUP" 10.10.2.99 2>"$WORKDIR/err"; rc=$?
check "del of an unknown subscriber: exit 1 ($(cat "$WORKDIR/err"))" eq $rc 1
ctl frobnicate 2>/dev/null; check "unknown command: exit 2" eq $? 2
ctl add 10.1.1.1 10.10.2.13 2>/dev/null; check "bad group: exit 2" eq $? 2
"$MUTCTL" --socket "$WORKDIR/nosuch.sock" status 2>"$WORKDIR/err"; rc=$?
check "no daemon: exit 3 ($(cat "$WORKDIR/err"))" eq $rc 3

# ---- SIGHUP
say "== SIGHUP"
ctl add "$GROUP" "$(client_ip 3)" >/dev/null
printf 'static = %s,%s\nmax-clients = 2\n' "$GROUP" "$(client_ip 1)" >"$WORKDIR/mutd.conf"
kill -HUP "$TRANSLATOR_PID"
wait_until 5 grep -q "SIGHUP: reloaded" "$TRANSLATOR_LOG" || fail "no reload logged"
ctl_json "$WORKDIR/groups.json" groups
check "after reload: the mutctl-added client 3 is kept" \
	eq "$(python3 -c "import json;print(sorted(c['ip'] for c in json.load(open('$WORKDIR/groups.json'))['groups'][0]['clients']))")" \
	"['$(client_ip 1)', '$(client_ip 2)', '$(client_ip 3)']"
check "after reload: 3 members > max-clients 2 -> plain multicast" \
	eq "$(python3 -c "import json;print(json.load(open('$WORKDIR/groups.json'))['groups'][0]['mode'])")" over_max_clients
stream_round 100 1 3
check "over max-clients: client 1 got multicast, no copies" eq "$(sink 1 capture.to_group_mac)/$(sink 1 capture.to_own_mac)" "100/0"
check "over max-clients: client 3 got multicast, no copies" eq "$(sink 3 capture.to_group_mac)/$(sink 3 capture.to_own_mac)" "100/0"
ctl del "$GROUP" "$(client_ip 3)" >/dev/null
sleep 1
stream_round 100 1 3
check "back to 2 members: client 1 gets unicast copies" eq "$(sink 1 capture.to_own_mac)/$(sink 1 capture.to_group_mac)" "100/0"
check "back to 2 members: client 3 (deleted) gets nothing" eq "$(sink 3 capture.frames)" 0
stop_translator

# ---- permissions
say "== permissions"
group="mut$$"
groupadd "$group" || fail "groupadd $group"
cleanup_group() { groupdel "$group" 2>/dev/null; }
trap 'cleanup_group; cleanup' EXIT
MUTD_ARGS=(--socket-group "$group")
start_translator 1
check "socket mode 0660, group $group" eq "$(stat -c '%a %G' "$MUTD_SOCKET")" "660 $group"
as_nobody() { setpriv --reuid=nobody --regid=nogroup "$@"; }
as_nobody --clear-groups "$MUTCTL" --socket "$MUTD_SOCKET" disable 2>"$WORKDIR/err"; rc=$?
check "nobody outside the group cannot disable (exit $rc: $(cat "$WORKDIR/err"))" eq $rc 3
chmod 0666 "$MUTD_SOCKET"  # past the file mode, the daemon's own SO_PEERCRED check must refuse
as_nobody --clear-groups "$MUTCTL" --socket "$MUTD_SOCKET" status >/dev/null; check "nobody may read status" eq $? 0
as_nobody --clear-groups "$MUTCTL" --socket "$MUTD_SOCKET" disable 2>"$WORKDIR/err"; rc=$?
check "nobody outside the group is refused disable by the daemon (exit $rc: $(cat "$WORKDIR/err"))" eq $rc 1
ctl_json "$WORKDIR/status.json" status
check "still enabled" eq "$(st enabled)" True
as_nobody --groups="$group" "$MUTCTL" --socket "$MUTD_SOCKET" disable >/dev/null; rc=$?
check "a member of $group may disable" eq $rc 0
finish
