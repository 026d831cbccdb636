# Helpers for MUT's network-namespace integration tests.  Source, don't run.
#
#   source "$(dirname "$0")/lib.sh"
#   topology 3            # source -> router (smcrouted) -> AP bridge -> 3 clients
#   load_queue_rule
#   start_translator 1 2  # mutd (or refmut) with clients 1 and 2 as static subscribers
#   ...
#
# Topology (every name carries this run's PID, so parallel runs never collide):
#
#   $NS_SRC            $NS_RTR                          $NS_AP              $NS_CLIENT_i
#   eth0 10.10.1.2 --- up0 10.10.1.1                    br0 (no snooping)
#                      smcrouted: up0 -> lan0
#                      lan0 10.10.2.1 ----------------- rtr0
#                                                       p1 ---------------- eth0 10.10.2.11
#                                                       p2 ---------------- eth0 10.10.2.12 ...
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.  Cleanup runs on
# EXIT/INT/TERM, kills only the PIDs recorded here and deletes only the
# namespaces created here.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS="$ROOT/tools"
MUT_BIN_DIR=${MUT_BIN_DIR:-$ROOT/.build/debug}
REFMUT_SOURCE=${REFMUT_SOURCE:-$TOOLS/bench/refmut.c}
# The interpreter itself, not a wrapper script (pyenv shims fork): the PID we
# record must be the process that gets our signals.
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)

GROUP=${GROUP:-239.1.1.1}
PORT=${PORT:-5000}
SOURCE_IP=10.10.1.2
ROUTER_UP_IP=10.10.1.1
ROUTER_LAN_IP=10.10.2.1
SENDER_TTL=16
QUEUE=0
# The router's LAN interfaces: smcrouted routes $GROUP to each, the queue rule covers each.
LAN_INTERFACES=${LAN_INTERFACES:-lan0}
# Bridged mode: ports of a LAN bridge whose bridged multicast is translated (--bridge-port).
BRIDGE_PORTS=${BRIDGE_PORTS:-}

PREFIX="mut$$"
NS_SRC="$PREFIX-src"
NS_RTR="$PREFIX-rtr"
NS_AP="$PREFIX-ap"
CLIENTS=0
NAMESPACES=()
STARTED_PIDS=()
TRANSLATOR_PID=""
TRANSLATOR_LOG=""
SMCROUTE_PID=""
WORKDIR=""
FAILURES=0

# ---------------------------------------------------------------- reporting

say()   { printf '%s\n' "$*"; }
skip()  { say "SKIP: $*"; exit 77; }
fail()  { say "FAIL: $*"; dump_logs; exit 1; }

# check DESCRIPTION COMMAND...: run the command; print ok/not ok; count failures.
check() {
	local what=$1; shift
	if "$@"; then
		say "  ok      $what"
	else
		say "  NOT OK  $what"
		FAILURES=$((FAILURES + 1))
	fi
}

# finish: exit 1 if any check failed, else 0.
finish() {
	if [ "$FAILURES" -gt 0 ]; then
		say "FAIL: $FAILURES check(s) failed"
		dump_logs
		exit 1
	fi
	say "PASS"
	exit 0
}

dump_logs() {
	[ -n "$WORKDIR" ] && [ -d "$WORKDIR" ] || return 0
	local f
	for f in "$WORKDIR"/*.log; do
		[ -s "$f" ] || continue
		say "--- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f"
	done
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
	local tool
	for tool in ip bridge timeout; do
		command -v "$tool" >/dev/null || skip "$tool not installed"
	done
	[ -n "$PYTHON" ] || skip "python3 not installed"
}

# ---------------------------------------------------------------- cleanup

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${STARTED_PIDS[@]}"; do
		local waited=0
		while ours "$pid" && [ $waited -lt 20 ]; do
			sleep 0.1; waited=$((waited + 1))
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	local ns
	for ns in "${NAMESPACES[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	[ -n "$WORKDIR" ] && [ -z "${MUT_KEEP_WORKDIR:-}" ] && rm -rf "$WORKDIR"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# remember PID: record a background process so cleanup stops it.  Disowned, so
# bash prints no "Killed" job notice when a test kills it on purpose; bash still
# reaps it, so `ours` polling sees it go.
remember() { STARTED_PIDS+=("$1"); disown "$1" 2>/dev/null; }

# ours PID: PID is still a live child of this shell (not a reused PID).
ours() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }            # fields after "pid (comm) "
	# shellcheck disable=SC2086  # split on purpose
	set -- $stat                 # $1 state, $2 ppid
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# forget PID: after the process is known to be gone.
forget() {
	local pid keep=()
	for pid in "${STARTED_PIDS[@]}"; do
		[ "$pid" = "$1" ] || keep+=("$pid")
	done
	STARTED_PIDS=("${keep[@]}")
}

# stop_pid PID [SIGNAL]: signal one process we started and reap it (bounded).
stop_pid() {
	local pid=$1 signal=${2:-TERM} waited=0
	ours "$pid" && kill -"$signal" "$pid" 2>/dev/null
	while ours "$pid" && [ $waited -lt 50 ]; do
		sleep 0.1; waited=$((waited + 1))
	done
	ours "$pid" && kill -KILL "$pid" 2>/dev/null
	forget "$pid"
}

make_workdir() {
	[ -n "$WORKDIR" ] && return 0
	WORKDIR=$(mktemp -d /tmp/mut-netns.XXXXXX)
	chmod 755 "$WORKDIR"
}

# wait_until SECONDS COMMAND...: poll every 0.1 s until the command succeeds.
wait_until() {
	local limit=$(( $1 * 10 )) tries=0; shift
	until "$@"; do
		tries=$((tries + 1))
		[ $tries -ge $limit ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- topology

client_ns()  { echo "$PREFIX-c$1"; }
client_ip()  { echo "10.10.2.$((10 + $1))"; }
client_mac() { printf '02:00:00:00:02:%02d\n' $((10 + $1)); }

# in_ns NS COMMAND...: run in a namespace.  For background processes call
# `ip netns exec` directly instead, so that $! is the process itself (it execs)
# and not a subshell running this function.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

add_ns() {
	ip netns add "$1" || fail "cannot create namespace $1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

sysctl_in() { in_ns "$1" sysctl -q -w "$2" >/dev/null || fail "sysctl $2 in $1"; }

# backbone: the source, the router (forwarding, no routing daemon yet) and the AP bridge
# br0 (flooding multicast like a Wi-Fi AP; left down until its ports are in).
backbone() {
	make_workdir
	add_ns "$NS_SRC"; add_ns "$NS_RTR"; add_ns "$NS_AP"

	# source <-> router
	ip link add eth0 netns "$NS_SRC" type veth peer name up0 netns "$NS_RTR" || fail "veth src-rtr"
	ip -n "$NS_SRC" addr add "$SOURCE_IP/24" dev eth0
	ip -n "$NS_SRC" link set eth0 up
	ip -n "$NS_SRC" route add default via "$ROUTER_UP_IP"

	ip -n "$NS_RTR" addr add "$ROUTER_UP_IP/24" dev up0
	ip -n "$NS_RTR" link set up0 up

	# router <-> AP bridge
	ip link add lan0 netns "$NS_RTR" type veth peer name rtr0 netns "$NS_AP" || fail "veth rtr-ap"
	ip -n "$NS_RTR" addr add "$ROUTER_LAN_IP/24" dev lan0
	ip -n "$NS_RTR" link set lan0 up
	sysctl_in "$NS_RTR" net.ipv4.ip_forward=1
	local conf
	for conf in all default up0 lan0; do
		sysctl_in "$NS_RTR" "net.ipv4.conf.$conf.rp_filter=0"
	done

	ip -n "$NS_AP" link add br0 type bridge mcast_snooping 0 stp_state 0 || fail "bridge"
	ip -n "$NS_AP" link set rtr0 master br0
	ip -n "$NS_AP" link set rtr0 up
}

# add_client I [BRIDGE_NS [PORT_PREFIX [BRIDGE]]]: client namespace I (eth0 with its fixed MAC
# and address) on port PORT_PREFIX$I of BRIDGE in BRIDGE_NS (default: p$I of br0 in the AP).
add_client() {
	local i=$1 bridge_ns=${2:-$NS_AP} prefix=${3:-p} bridge=${4:-br0} ns conf
	ns=$(client_ns "$i")
	add_ns "$ns"
	ip link add eth0 netns "$ns" type veth peer name "$prefix$i" netns "$bridge_ns" || fail "veth client $i"
	ip -n "$ns" link set eth0 address "$(client_mac "$i")"
	ip -n "$ns" addr add "$(client_ip "$i")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$ROUTER_LAN_IP"
	for conf in all default eth0; do
		sysctl_in "$ns" "net.ipv4.conf.$conf.rp_filter=0"
	done
	ip -n "$bridge_ns" link set "$prefix$i" master "$bridge"
	ip -n "$bridge_ns" link set "$prefix$i" up
	# An AP knows its associated stations: without this, unicast copies to a client the
	# bridge has not heard from would be flooded to every port.
	bridge -n "$bridge_ns" fdb replace "$(client_mac "$i")" dev "$prefix$i" master static \
		|| fail "static fdb entry for client $i"
	CLIENTS=$(( i > CLIENTS ? i : CLIENTS ))
}

# ap_behind_bridge_port BRIDGE: a port wlan0 of the router's bridge BRIDGE leads to the AP
# namespace (br0 flooding multicast like a Wi-Fi AP, clients 1-3 on it); a wired client 4
# sits on port lan4 of BRIDGE itself (bridged mode tests).
ap_behind_bridge_port() {
	local bridge=$1 i
	ip link add wlan0 netns "$NS_RTR" type veth peer name rtr0 netns "$NS_AP" || fail "veth rtr-ap"
	ip -n "$NS_RTR" link set wlan0 master "$bridge"
	ip -n "$NS_RTR" link set wlan0 up
	ip -n "$NS_AP" link add br0 type bridge mcast_snooping 0 stp_state 0 || fail "AP bridge"
	ip -n "$NS_AP" link set rtr0 master br0
	ip -n "$NS_AP" link set rtr0 up
	for i in 1 2 3; do add_client "$i"; done
	ip -n "$NS_AP" link set br0 up
	add_client 4 "$NS_RTR" lan "$bridge"
}

# topology N: the backbone, N clients (1..89) on the AP bridge, smcrouted routing $GROUP.
topology() {
	local n=$1 i
	if [ "$n" -lt 1 ] || [ "$n" -gt 89 ]; then fail "topology: 1..89 clients"; fi
	backbone
	for i in $(seq 1 "$n"); do add_client "$i"; done
	ip -n "$NS_AP" link set br0 up
	start_smcroute
	say "topology: source $SOURCE_IP -> router (smcrouted, $GROUP up0->lan0) -> AP br0 -> $n client(s) [prefix $PREFIX]"
}

start_smcroute() {
	command -v smcrouted >/dev/null || skip "smcrouted not installed"
	local conf="$WORKDIR/smcroute.conf"
	local lan
	{
		echo "phyint up0 enable"
		for lan in $LAN_INTERFACES; do echo "phyint $lan enable"; done
		echo "mroute from up0 group $GROUP to $LAN_INTERFACES"
		echo "mroute from up0 source $SOURCE_IP group $GROUP to $LAN_INTERFACES"
	} >"$conf"
	ip netns exec "$NS_RTR" smcrouted -n -f "$conf" -u "$WORKDIR/smcroute.sock" \
		-i "$PREFIX" -P "$WORKDIR/smcroute.pid" -l info >"$WORKDIR/smcroute.log" 2>&1 &
	SMCROUTE_PID=$!
	remember "$SMCROUTE_PID"
	# The (S,G) route is in the kernel once smcrouted has read its config.
	wait_until 10 sg_route_installed || fail "smcrouted did not install ($SOURCE_IP, $GROUP)"
}

sg_route_installed() {
	ours "$SMCROUTE_PID" || fail "smcrouted exited: $(tail -n 2 "$WORKDIR/smcroute.log")"
	in_ns "$NS_RTR" ip mroute show 2>/dev/null | grep -q "($SOURCE_IP,[[:space:]]*$GROUP)"
}

# learn_neighbours: give the router a neighbour entry for every client (mutd
# finds client MACs in the neighbour table; an entry exists only after traffic).
learn_neighbours() {
	local i
	for i in $(seq 1 "$CLIENTS"); do
		in_ns "$NS_RTR" bash -c "echo x >/dev/udp/$(client_ip "$i")/9" 2>/dev/null
	done
	for i in $(seq 1 "$CLIENTS"); do
		wait_until 5 neighbour_known "$i" || fail "router has no neighbour entry for client $i"
	done
}

neighbour_known() {
	in_ns "$NS_RTR" ip neigh show "$(client_ip "$1")" dev lan0 \
		| grep -qi "lladdr $(client_mac "$1")"
}

# block_igmp I: client I's kernel still joins, but its reports never leave
# (a client the translator cannot learn about).
block_igmp() {
	in_ns "$(client_ns "$1")" iptables-nft -A OUTPUT -p igmp -j DROP \
		|| fail "cannot block IGMP on client $1"
}

# ---------------------------------------------------------------- the kernel's alternative

# kernel_bridge_m2u VERSION [BRIDGE OPTION VALUE...]: the AP bridge set up as a careful operator
# would for the Linux bridge's own multicast-to-unicast: snooping on, the bridge itself the
# IGMPv(VERSION) querier (its queries from 10.10.2.2 on br0), mcast_to_unicast on every client
# port (every port but rtr0). More options (timers in centiseconds) go to `ip link set br0 type
# bridge`. The bridge learns viewers only from reports it hears from now on, and forwards by
# what it learned only after its querier delay (one query response interval): join after it.
kernel_bridge_m2u() {
	local version=$1 port; shift
	ip -n "$NS_AP" addr replace 10.10.2.2/24 dev br0 || fail "address on br0"
	# Timers first: turning the querier on starts its delay (no forwarding by the MDB for one
	# query response interval), taken from the setting in force at that moment.
	ip -n "$NS_AP" link set br0 type bridge mcast_igmp_version "$version" mcast_query_use_ifaddr 1 "$@" \
		|| fail "cannot set the AP bridge's multicast timers"
	ip -n "$NS_AP" link set br0 type bridge mcast_snooping 1 mcast_querier 1 \
		|| fail "cannot turn on the AP bridge's snooping and querier"
	for port in $(bridge_client_ports); do
		bridge -n "$NS_AP" link set dev "$port" mcast_to_unicast on || fail "mcast_to_unicast on $port"
	done
}

# kernel_bridge_flood: the AP bridge back to flooding (snooping off: forgets its groups).
kernel_bridge_flood() {
	local port
	for port in $(bridge_client_ports); do
		bridge -n "$NS_AP" link set dev "$port" mcast_to_unicast off
	done
	ip -n "$NS_AP" link set br0 type bridge mcast_querier 0 mcast_snooping 0 || fail "cannot turn snooping off"
}

bridge_client_ports() {
	ip -n "$NS_AP" -o link show master br0 | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 != "rtr0") print $2 }'
}

# bridge_viewers GROUP_PREFIX: how many (group, client port) entries the AP bridge's MDB holds
# for groups starting with GROUP_PREFIX (e.g. "239.1.1."); the bridge itself and rtr0 not counted.
bridge_viewers() {
	bridge -n "$NS_AP" mdb show 2>/dev/null | awk -v g="$1" '{
		port = ""; group = ""
		for (i = 1; i < NF; i++) { if ($i == "port") port = $(i + 1); if ($i == "grp") group = $(i + 1) }
		if (index(group, g) == 1 && port != "br0" && port != "rtr0") n++
	} END { print n + 0 }'
}

# ---------------------------------------------------------------- queue rule

load_queue_rule() {
	if [ -x "$ROOT/nft-rules/load" ]; then
		local lan args=()
		for lan in $LAN_INTERFACES; do args+=(--interface "$lan"); done
		for lan in $BRIDGE_PORTS; do args+=(--bridge-port "$lan"); done
		in_ns "$NS_RTR" "$ROOT/nft-rules/load" "${args[@]}" --queue "$QUEUE" \
			>"$WORKDIR/rules.log" 2>&1 || fail "nft-rules/load failed: $(tail -n 3 "$WORKDIR/rules.log")"
		say "queue rule: nft-rules/load ($(head -n 1 "$WORKDIR/rules.log"))"
		return 0
	fi
	command -v iptables-nft >/dev/null || skip "iptables-nft not installed"
	# Only forwarded multicast: never link-local 224.0.0.0/24, never the router's own.
	# shellcheck disable=SC2015  # fail if any of the three fails
	in_ns "$NS_RTR" iptables-nft -t mangle -A POSTROUTING -o lan0 -d 224.0.0.0/24 -j RETURN \
		&& in_ns "$NS_RTR" iptables-nft -t mangle -A POSTROUTING -o lan0 -m addrtype --src-type LOCAL -j RETURN \
		&& in_ns "$NS_RTR" iptables-nft -t mangle -A POSTROUTING -o lan0 -d 224.0.0.0/4 \
			-j NFQUEUE --queue-num "$QUEUE" --queue-bypass \
		|| fail "cannot load the inline NFQUEUE rule (kernel without NFQUEUE?)"
	say "queue rule: inline iptables-nft NFQUEUE $QUEUE on lan0 (nft-rules/load not present)"
}

# ---------------------------------------------------------------- translator

# choose_translator: sets TRANSLATOR to "mutd" when $MUT_BIN_DIR/mutd exists, to
# "refmut" when asked for with MUT_TRANSLATOR=refmut, else to "" (none).
choose_translator() {
	TRANSLATOR=""
	case "${MUT_TRANSLATOR:-}" in
	refmut) TRANSLATOR=refmut ;;
	mutd|"") [ -x "$MUT_BIN_DIR/mutd" ] && TRANSLATOR=mutd ;;
	*) fail "MUT_TRANSLATOR must be mutd or refmut, not '$MUT_TRANSLATOR'" ;;
	esac
	return 0
}

# require_translator: skip unless a translator can run; compiles refmut if needed.
require_translator() {
	choose_translator
	case "$TRANSLATOR" in
	mutd) ;;
	refmut) build_refmut ;;
	*) skip "no translator: $MUT_BIN_DIR/mutd not built (set MUT_BIN_DIR, or MUT_TRANSLATOR=refmut)" ;;
	esac
}

# build_refmut: sets REFMUT_BIN to the C stand-in, compiling it into WORKDIR if
# REFMUT does not name a binary already.
build_refmut() {
	if [ -n "${REFMUT:-}" ]; then
		[ -x "$REFMUT" ] || skip "REFMUT=$REFMUT is not executable"
		REFMUT_BIN=$REFMUT
		return 0
	fi
	make_workdir
	REFMUT_BIN="$WORKDIR/refmut"
	[ -x "$REFMUT_BIN" ] && return 0
	[ -f "$REFMUT_SOURCE" ] || skip "refmut source $REFMUT_SOURCE not found (set REFMUT_SOURCE or REFMUT)"
	gcc -O2 -o "$REFMUT_BIN" "$REFMUT_SOURCE" -lnetfilter_queue -lmnl \
		>"$WORKDIR/refmut-build.log" 2>&1 || skip "cannot compile refmut: $(head -n 2 "$WORKDIR/refmut-build.log")"
}

# start_translator I [J ...]: start mutd (or refmut) in the router namespace with
# clients I, J, ... as static subscribers of $GROUP; wait until it serves.
start_translator() {
	require_translator
	local kind=$TRANSLATOR i args=()
	TRANSLATOR_LOG="$WORKDIR/translator.log"
	case "$kind" in
	mutd)
		for i in $LAN_INTERFACES; do args+=(--interface "$i"); done
		for i in $BRIDGE_PORTS; do args+=(--bridge-port "$i"); done
		for i in "$@"; do args+=(--static "$GROUP,$(client_ip "$i")"); done
		MUTD_SOCKET="$WORKDIR/mutd.sock"
		# MUTD_ARGS: extra flags a test passes (an array; may be unset).
		ip netns exec "$NS_RTR" "$MUT_BIN_DIR/mutd" --queue "$QUEUE" "${args[@]}" \
			${MUTD_ARGS[@]+"${MUTD_ARGS[@]}"} \
			--log-level debug --socket "$MUTD_SOCKET" >"$TRANSLATOR_LOG" 2>&1 &
		TRANSLATOR_PID=$!
		remember "$TRANSLATOR_PID"
		wait_until 10 translator_ready_mutd \
			|| fail "mutd did not log 'mutd: ready' within 10 s"
		;;
	refmut)
		for i in "$@"; do args+=("$(client_mac "$i")"); done
		ip netns exec "$NS_RTR" "$REFMUT_BIN" "$QUEUE" lan0 "${args[@]}" >"$TRANSLATOR_LOG" 2>&1 &
		TRANSLATOR_PID=$!
		remember "$TRANSLATOR_PID"
		wait_until 10 queue_bound || fail "refmut did not bind queue $QUEUE within 10 s"
		;;
	*) skip "no translator available" ;;
	esac
	say "translator: $kind (pid $TRANSLATOR_PID), static subscribers: $(for i in "$@"; do printf '%s ' "$(client_ip "$i")"; done)"
}

translator_ready_mutd() {
	translator_alive || fail "mutd exited early: $(tail -n 3 "$TRANSLATOR_LOG")"
	grep -q "mutd: ready" "$TRANSLATOR_LOG"
}

translator_alive() { [ -n "$TRANSLATOR_PID" ] && ours "$TRANSLATOR_PID"; }

# queue_bound: a listener is bound to $QUEUE in the router namespace.
queue_bound() {
	translator_alive || fail "translator exited early: $(tail -n 3 "$TRANSLATOR_LOG")"
	in_ns "$NS_RTR" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null \
		| awk -v q="$QUEUE" '$1 == q { found = 1 } END { exit !found }'
}

stop_translator() {
	[ -n "$TRANSLATOR_PID" ] || return 0
	stop_pid "$TRANSLATOR_PID" "${1:-TERM}"
	TRANSLATOR_PID=""
}

# ---------------------------------------------------------------- traffic

# start_sink I [mcast-sink options...]: capture (and by default join) on client I;
# its JSON lands in $WORKDIR/sink-I.json when it stops.
start_sink() {
	local i=$1; shift
	rm -f "$WORKDIR/sink-$i.ready"
	ip netns exec "$(client_ns "$i")" "$PYTHON" "$TOOLS/mcast-sink" --group "$GROUP" --port "$PORT" \
		--interface eth0 --duration 120 --ready-file "$WORKDIR/sink-$i.ready" "$@" \
		>"$WORKDIR/sink-$i.json" 2>"$WORKDIR/sink-$i.log" &
	eval "SINK_PID_$i=$!"
	remember "$!"
}

wait_sinks_ready() {
	local i
	for i in "$@"; do
		wait_until 10 test -e "$WORKDIR/sink-$i.ready" || fail "mcast-sink on client $i did not start"
	done
	sleep 0.3  # let the joins' IGMP reports go out before traffic starts
}

# stop_sinks I...: SIGTERM the sinks and wait for their JSON.
stop_sinks() {
	local i pid
	for i in "$@"; do
		pid=$(eval echo "\${SINK_PID_$i:-}")
		[ -n "$pid" ] && stop_pid "$pid" TERM
	done
}

# send_stream COUNT RATE [more mcast-send options]: from the source namespace.
send_stream() {
	local count=$1 rate=$2; shift 2
	in_ns "$NS_SRC" "$PYTHON" "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" \
		--count "$count" --rate "$rate" --ttl "$SENDER_TTL" --stream 7 "$@" \
		>"$WORKDIR/send.json" 2>"$WORKDIR/send.log"
	local status=$?
	[ $status -gt 128 ] && exit $status  # interrupted: cleanup runs from the EXIT trap
	[ $status -eq 0 ] || fail "mcast-send failed: $(cat "$WORKDIR/send.log")"
	SENT=$(json_get "$WORKDIR/send.json" sent)
	say "sent $SENT packets to $GROUP:$PORT at $rate pps (ttl $SENDER_TTL)"
}

# capture NS IFACE NAME: tcpdump of the test port into $WORKDIR/NAME.pcap, until stop_capture NAME.
capture() {
	local ns=$1 iface=$2 name=$3
	ip netns exec "$ns" tcpdump -i "$iface" -n -U -s 0 -B 8192 -w "$WORKDIR/$name.pcap" \
		"udp dst port $PORT" >"$WORKDIR/$name-tcpdump.log" 2>&1 &
	eval "CAPTURE_PID_$name=$!"
	remember "$!"
	wait_until 10 grep -qs "listening on" "$WORKDIR/$name-tcpdump.log" \
		|| fail "tcpdump on $ns $iface did not start: $(tail -n 2 "$WORKDIR/$name-tcpdump.log")"
}

stop_capture() {
	local pid; pid=$(eval echo "\$CAPTURE_PID_$1")
	stop_pid "$pid" INT
	grep -E "captured|dropped" "$WORKDIR/$1-tcpdump.log" | tr '\n' ' '
}

# send_stream_async COUNT RATE [mcast-send options]: the stream in the background; its
# summary lands in $WORKDIR/send.json when done (wait_sender waits for it).
send_stream_async() {
	local count=$1 rate=$2; shift 2
	rm -f "$WORKDIR/send.json"
	in_ns "$NS_SRC" "$PYTHON" "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" \
		--count "$count" --rate "$rate" --ttl "$SENDER_TTL" --stream 7 "$@" \
		>"$WORKDIR/send.json" 2>"$WORKDIR/send.log" &
	remember $!
}

# wait_sender SECONDS: until the background stream has finished.
wait_sender() {
	wait_until "$1" test -s "$WORKDIR/send.json" || fail "the sender did not finish: $(tail -n 2 "$WORKDIR/send.log")"
}

# joins_logged N: mutd has logged at least N IGMP joins of $GROUP.
joins_logged() { [ "$(grep -c "joined $GROUP on lan0" "$TRANSLATOR_LOG")" -ge "$1" ]; }

# seq_bound I CLASS 0|1: lowest (0) or highest (1) sequence number client I saw in frames
# of CLASS (own, group, other); -1 when none.
seq_bound() {
	sink "$1" capture.seq_range | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin).get('$2'); print(r[$3] if r else -1)"
}

# json_get FILE PATH: a value from a JSON file, PATH dotted ("capture.to_own_mac");
# prints "null" for absent keys.
json_get() {
	"$PYTHON" - "$1" "$2" <<-'EOF'
	import json, sys
	try:
	    value = json.load(open(sys.argv[1]))
	except (OSError, ValueError):
	    value = None
	for key in sys.argv[2].split("."):
	    value = value.get(key) if isinstance(value, dict) else None
	print(json.dumps(value) if isinstance(value, (dict, list)) or value is None else value)
	EOF
}

# sink I PATH: shorthand for json_get on client I's result.
sink() { json_get "$WORKDIR/sink-$1.json" "$2"; }

# summarize_sink I: one line with the key numbers.
summarize_sink() {
	say "  client $1 ($(client_ip "$1"), $(client_mac "$1")): socket unique=$(sink "$1" socket.unique) dup=$(sink "$1" socket.duplicates) | frames=$(sink "$1" capture.frames) own-mac=$(sink "$1" capture.to_own_mac) group-mac=$(sink "$1" capture.to_group_mac) other=$(sink "$1" capture.to_other_mac) ttls=$(sink "$1" capture.ttls)"
}

eq() { [ "$1" = "$2" ]; }
le() { [ "$1" -le "$2" ]; }
ge() { [ "$1" -ge "$2" ]; }
