#!/usr/bin/env bash
# Hostile input: client 1 joins $GROUP normally (IGMPv3) and watches a stream while client 2
# sends 6000 malformed and hostile IGMP frames (tools/igmp-flood: truncated, bad checksums,
# lying counts, unknown types, thousands of distinct groups, spoofed source IPs and MACs,
# spoofed leaves of client 1's group) and the control socket gets 1 MiB and 64 KiB requests,
# 300 garbage requests, then 64 idle connections held open (tools/control-abuse). With small limits
# (--max-groups 8, --max-entries 12, --max-members-per-group 4): mutd stays up, the table stays
# within them and counts what it refused, `mutctl status` answers during and after, and
# client 1 receives every packet exactly once as a unicast copy.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"
MUTCTL="$MUT_BIN_DIR/mutctl"
MAX_GROUPS=8 MAX_ENTRIES=12 MAX_MEMBERS=4
FLOOD=6000 FLOOD_RATE=1500   # 4 s
COUNT=2000 RATE=250          # 8 s

topology 2
sysctl_in "$(client_ns 1)" net.ipv4.conf.eth0.force_igmp_version=3
learn_neighbours
load_queue_rule
MUTD_ARGS=(--max-groups "$MAX_GROUPS" --max-entries "$MAX_ENTRIES" --max-members-per-group "$MAX_MEMBERS")
start_translator
pid=$TRANSLATOR_PID
ctl() { timeout 20 "$MUTCTL" --socket "$MUTD_SOCKET" "$@"; }

start_sink 1 --no-join --expect "$COUNT"
wait_sinks_ready 1
in_ns "$(client_ns 1)" "$PYTHON" "$TOOLS/mcast-join" --group "$GROUP" --seconds 60 >"$WORKDIR/join-1.log" 2>&1 &
remember $!
wait_until 5 grep -q "$(client_ip 1) .* joined $GROUP on lan0" "$TRANSLATOR_LOG" || fail "mutd did not learn client 1's join"
rss_before=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")

# Flood, control abuse and the stream at the same time.
ip netns exec "$(client_ns 2)" "$PYTHON" "$TOOLS/igmp-flood" --interface eth0 --count "$FLOOD" --rate "$FLOOD_RATE" \
	--source-ip "$(client_ip 2)" --protect-ip "$(client_ip 1)" --victim-group "$GROUP" \
	>"$WORKDIR/flood.json" 2>"$WORKDIR/flood.log" &
flood_pid=$!; remember $flood_pid
ip netns exec "$NS_RTR" "$PYTHON" "$TOOLS/control-abuse" --socket "$MUTD_SOCKET" \
	>"$WORKDIR/abuse.json" 2>"$WORKDIR/abuse.log" &
abuse_pid=$!; remember $abuse_pid
sleep 0.5
# While the abuse holds the server's connection slots mutctl is refused ("too many control
# connections"); it must get through again once the server drops the silent ones (2 s).
wait_until 6 eval 'ctl status >"$WORKDIR/status-during.txt" 2>&1'
status_during=$?
send_stream "$COUNT" "$RATE"
wait_until 30 eval '! ours $flood_pid' || fail "igmp-flood did not finish"
wait_until 90 eval '! ours $abuse_pid' || fail "control-abuse did not finish"
sleep 0.5
stop_sinks 1

say "flood: $(cat "$WORKDIR/flood.json")"
say "control abuse: $(cat "$WORKDIR/abuse.json")"
ctl status --json >"$WORKDIR/status.json"; status_rc=$?
ctl groups --json >"$WORKDIR/groups.json"
ctl status | sed 's/^/  /'
st() { json_get "$WORKDIR/status.json" "$1"; }
rss_after=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
say "  table after the flood: $(st groups) group(s), $(st clients) client(s), refused $(st refused_entries), IGMP $(st igmp)"
say "  groups: $("$PYTHON" -c 'import json,sys; print(", ".join("%s:%d" % (g["group"], len(g["clients"])) for g in json.load(open(sys.argv[1]))["groups"]))' "$WORKDIR/groups.json")"
say "  mutd RSS ${rss_before} KiB before, ${rss_after} KiB after"
summarize_sink 1

check "mutd still running" translator_alive
check "mutctl status answered during the abuse (within 6 s)" eq "$status_during" 0
check "mutctl status --json answers after" eq "$status_rc" 0
check "igmp-flood sent all $FLOOD frames" eq "$(json_get "$WORKDIR/flood.json" sent)" "$FLOOD"
check "groups ≤ --max-groups $MAX_GROUPS" le "$(st groups)" "$MAX_GROUPS"
check "clients ≤ --max-entries $MAX_ENTRIES" le "$(st clients)" "$MAX_ENTRIES"
check "refusals counted (> 1000)" ge "$(st refused_entries)" 1000
check "invalid IGMP counted (> 1000)" ge "$(json_get "$WORKDIR/status.json" igmp.invalid)" 1000
check "client 1 still a member of $GROUP" grep -q "$(client_ip 1)" <(ctl groups)
check "client 1: every packet exactly once, as unicast ($(sink 1 capture.to_own_mac)/$(sink 1 capture.unique) of $COUNT)" \
	eq "$(sink 1 capture.to_own_mac)/$(sink 1 capture.unique)" "$COUNT/$COUNT"
check "client 1: no group-MAC original" eq "$(sink 1 capture.to_group_mac)" 0
check "control socket: the abuse got answers ($(json_get "$WORKDIR/abuse.json" answered))" ge "$(json_get "$WORKDIR/abuse.json" answered)" 100
check "control socket: no exchange hung (timeouts 0)" eq "$(json_get "$WORKDIR/abuse.json" timeouts)" 0
# The server closes silent connections after its 2 s request timeout.
check "control socket: status answered ≤ 4 s into a slow-loris hold ($(json_get "$WORKDIR/abuse.json" status_ok_after_idle_s) s)" \
	"$PYTHON" -c 'import sys; v = sys.argv[1]; sys.exit(0 if v != "null" and float(v) <= 4 else 1)' "$(json_get "$WORKDIR/abuse.json" status_ok_after_idle_s)"
check "mutd RSS grew < 8 MiB" le $((rss_after - rss_before)) 8192
check "the socket still takes an add and a del" eval "ctl add 239.9.9.9 $(client_ip 1) >/dev/null && ctl del 239.9.9.9 $(client_ip 1) >/dev/null"
finish
