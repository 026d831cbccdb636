#!/usr/bin/env bash
# Soak: mutd serving 50 clients and 20 groups for MINUTES minutes with continual join/leave
# churn while the streams run (tools/soak-agent drives the traffic and the joins).
#   tools/soak.sh [MINUTES]         (make soak MINUTES=N); needs root, like Tests/netns
# Clients 1-25 join two groups each and stay: they must lose nothing. Clients 26-50 toggle a
# random group every 0.2 s in turn: no copy may reach them later than 2.5 s after a leave.
# mutd's RSS and open descriptors are sampled every second; after the warm-up (a quarter of
# the run, at least 15 s) RSS may grow less than 1 MiB, and the descriptor count at quiet
# moments must not rise (tools/fd-trend: a control connection or the state file's temporary
# file is open for a moment and may be in any one sample; a leaked descriptor stays).
# Exit 0 pass, 1 fail, 77 skipped (not root, no mutd).
MINUTES=${1:-${MINUTES:-1}}
N_CLIENTS=50 N_GROUPS=20 N_STAYERS=25
GROUP=239.77.0.1
source "$(dirname "$0")/../Tests/netns/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd"
case "$MINUTES" in ''|*[!0-9]*) fail "MINUTES must be a whole number of minutes, got '$MINUTES'";; esac
[ "$MINUTES" -ge 1 ] && [ "$MINUTES" -le 1440 ] || fail "MINUTES must be 1..1440"
SECONDS_TOTAL=$((MINUTES * 60))
GROUPS_LIST=$(for g in $(seq 1 $N_GROUPS); do printf '239.77.0.%d,' "$g"; done); GROUPS_LIST=${GROUPS_LIST%,}

# lib.sh's topology stops at 9 clients and routes one group: the same shape, 50 clients, 20 groups.
soak_topology() {
	local n=$1 i
	backbone
	for i in $(seq 1 "$n"); do add_client "$i"; done
	ip -n "$NS_AP" link set br0 up
	command -v smcrouted >/dev/null || skip "smcrouted not installed"
	{
		echo "phyint up0 enable"; echo "phyint lan0 enable"
		for g in ${GROUPS_LIST//,/ }; do echo "mroute from up0 source $SOURCE_IP group $g to lan0"; done
	} >"$WORKDIR/smcroute.conf"
	ip netns exec "$NS_RTR" smcrouted -n -f "$WORKDIR/smcroute.conf" -u "$WORKDIR/smcroute.sock" \
		-i "$PREFIX" -P "$WORKDIR/smcroute.pid" -l info >"$WORKDIR/smcroute.log" 2>&1 &
	SMCROUTE_PID=$!
	remember "$SMCROUTE_PID"
	wait_until 10 sg_route_installed || fail "smcrouted did not install its routes"
	say "soak topology: $n clients, $N_GROUPS groups ($GROUP...), prefix $PREFIX"
}

soak_topology $N_CLIENTS
load_queue_rule
MUTD_ARGS=(--querier --igmp-query-interval 20 --igmp-query-response-interval 5)
start_translator
pid=$TRANSLATOR_PID
sample() {  # seconds-since-start rss_kib fds, then what each descriptor is open on
	local names
	names=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null | sed -E 's/^(socket|pipe):\[[0-9]+\]$/\1/')
	printf '%s %s %s %s\n' "$1" "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")" \
		"$(printf '%s\n' "$names" | grep -c .)" "$(printf '%s' "$names" | sort | tr '\n' ' ')"
}
client_namespaces=$(for i in $(seq 1 $N_CLIENTS); do printf '%s,' "$(client_ns "$i")"; done)
ip netns exec "$NS_RTR" true   # the agent enters namespaces itself
"$PYTHON" "$TOOLS/soak-agent" --source-ns "$NS_SRC" --client-ns "${client_namespaces%,}" --groups "$GROUPS_LIST" \
	--stayers $N_STAYERS --seconds "$SECONDS_TOTAL" --progress "$WORKDIR/progress.log" \
	>"$WORKDIR/agent.json" 2>"$WORKDIR/agent.log" &
agent=$!; remember $agent
say "soak: $MINUTES min; mutd pid $pid; samples (s, RSS KiB, fds) every second, every 5th shown"
: >"$WORKDIR/samples"
start=$(date +%s)
n=0
while ours "$agent" && [ $(( $(date +%s) - start )) -le $((SECONDS_TOTAL + 60)) ]; do
	translator_alive || fail "mutd died during the soak"
	sample $(( $(date +%s) - start )) >>"$WORKDIR/samples"
	[ $((n % 5)) -eq 0 ] && tail -n 1 "$WORKDIR/samples" | cut -d' ' -f1-3 | sed 's/^/  /'
	n=$((n + 1))
	sleep 1
done
ours "$agent" && fail "soak-agent did not finish in time"
sample $(( $(date +%s) - start )) >>"$WORKDIR/samples"
tail -n 1 "$WORKDIR/samples" | cut -d' ' -f1-3 | sed 's/^/  /'
say "agent: $(cat "$WORKDIR/agent.json")"
[ -s "$WORKDIR/agent.json" ] || fail "soak-agent failed: $(tail -n 5 "$WORKDIR/agent.log")"
timeout 10 "$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" status --json >"$WORKDIR/status.json"
status_rc=$?
say "mutd: $(json_get "$WORKDIR/status.json" packets) packets, $(json_get "$WORKDIR/status.json" copies) copies, passed $(json_get "$WORKDIR/status.json" passed), queue drops $(json_get "$WORKDIR/status.json" queue_drops), send errors $(json_get "$WORKDIR/status.json" send_errors), IGMP $(json_get "$WORKDIR/status.json" igmp)"

warm=$(( SECONDS_TOTAL / 4 > 15 ? SECONDS_TOTAL / 4 : 15 ))
read -r rss_warm rss_end rss_max < <(awk -v w="$warm" '$1 >= w { if (!n++) r0 = $2; if ($2 > rmax) rmax = $2; rend = $2 } END { print r0, rend, rmax }' "$WORKDIR/samples")
say "after warm-up (${warm} s): RSS ${rss_warm} -> ${rss_end} KiB (max ${rss_max})"
fd_verdict=$("$PYTHON" "$TOOLS/fd-trend" --warm-up "$warm" "$WORKDIR/samples"); fd_status=$?
say "$fd_verdict"
agent() { json_get "$WORKDIR/agent.json" "$1"; }
check "mutd alive after $MINUTES min" translator_alive
check "mutctl status answers" eq "$status_rc" 0
check "RSS growth after warm-up < 1 MiB ($((rss_end - rss_warm)) KiB)" le $((rss_end - rss_warm)) 1023
check "open descriptors: no rise at quiet moments after warm-up (tools/fd-trend)" eq "$fd_status" 0
check "stayers: no loss ($(agent stayers.missing) missing of $(agent stayers.expected))" eq "$(agent stayers.missing)" 0
check "stayers: something expected" ge "$(agent stayers.expected)" 1000
check "stayers: no frame to another MAC" eq "$(agent stayers.other_mac)" 0
check "churners: no copy > 2.5 s after a leave ($(agent churners.after_leave); longest lag $(agent churners.leave_lag_s) s)" eq "$(agent churners.after_leave)" 0
check "churners: churn happened ($(agent churners.churn_events) events, $(agent churners.copies) copies)" ge "$(agent churners.churn_events)" 100
check "no queue drops, no send errors" eq "$(json_get "$WORKDIR/status.json" queue_drops)/$(json_get "$WORKDIR/status.json" send_errors)" "0/0"
finish
