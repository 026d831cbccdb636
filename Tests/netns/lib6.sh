# IPv6 helpers for the network-namespace tests, on top of lib.sh (source lib.sh first).
#
#   ipv6_topology 3 "$GROUP6"      # lib.sh's backbone and clients, with IPv6 addresses;
#                                  # smcrouted routes (SOURCE6, GROUP6) and (SOURCE6_B, GROUP6)
#   sink6 NS NAME [mcast6 sink options]   /   send6 SOURCE [mcast6 send options]
#
#   $NS_SRC eth0 2001:db8:1::2, ::3  --- up0 2001:db8:1::1 | lan0 2001:db8:2::1 --- clients 2001:db8:2::1I

SOURCE6=2001:db8:1::2
SOURCE6_B=2001:db8:1::3
client_ip6() { echo "2001:db8:2::$((10 + $1))"; }

require_ipv6_tools() {
	[ "$TRANSLATOR" = mutd ] || skip "IPv6 is translated by mutd only"
	command -v smcrouted >/dev/null || skip "smcrouted not installed"
	command -v ip6tables-nft >/dev/null || skip "ip6tables-nft not installed"
}

ipv6_topology() {
	local n=$1 group=$2 i
	backbone
	for i in $(seq 1 "$n"); do add_client "$i"; done
	ip -n "$NS_AP" link set br0 up
	ip -n "$NS_SRC" addr add "$SOURCE6/64" dev eth0 nodad
	ip -n "$NS_SRC" addr add "$SOURCE6_B/64" dev eth0 nodad
	ip -n "$NS_RTR" addr add 2001:db8:1::1/64 dev up0 nodad
	ip -n "$NS_RTR" addr add 2001:db8:2::1/64 dev lan0 nodad
	sysctl_in "$NS_RTR" net.ipv6.conf.all.forwarding=1
	for i in $(seq 1 "$n"); do ip -n "$(client_ns "$i")" addr add "$(client_ip6 "$i")/64" dev eth0 nodad; done
	wait_until 10 no_tentative "$n" || fail "link-local addresses still tentative"
	{
		echo "phyint up0 enable"
		echo "phyint lan0 enable"
		echo "mroute from up0 source $SOURCE6 group $group to lan0"
		echo "mroute from up0 source $SOURCE6_B group $group to lan0"
		# IPV4_TOO=1: lib.sh's IPv4 stream ($SOURCE_IP, $GROUP) is routed as well.
		[ -n "${IPV4_TOO:-}" ] && echo "mroute from up0 source $SOURCE_IP group $GROUP to lan0"
	} >"$WORKDIR/smcroute6.conf"
	ip netns exec "$NS_RTR" smcrouted -n -f "$WORKDIR/smcroute6.conf" -u "$WORKDIR/smcroute6.sock" \
		-i "$PREFIX" -P "$WORKDIR/smcroute6.pid" -l info >"$WORKDIR/smcroute.log" 2>&1 &
	SMCROUTE_PID=$!
	remember "$SMCROUTE_PID"
	wait_until 10 route6_installed "$SOURCE6" "$group" || fail "smcrouted did not install ($SOURCE6, $group)"
	wait_until 10 route6_installed "$SOURCE6_B" "$group" || fail "smcrouted did not install ($SOURCE6_B, $group)"
	if [ -n "${IPV4_TOO:-}" ]; then wait_until 10 sg_route_installed || fail "smcrouted did not install ($SOURCE_IP, $GROUP)"; fi
	say "topology: $SOURCE6, $SOURCE6_B -> router (smcrouted, $group up0->lan0) -> AP br0 -> $n client(s) [prefix $PREFIX]"
}

# no_tentative N: the router's and clients 1..N's addresses have finished DAD (MLD needs the
# link-local one).
no_tentative() {
	local ns
	for ns in "$NS_RTR" $(for i in $(seq 1 "$1"); do client_ns "$i"; done); do
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || return 1
	done
}

route6_installed() {
	ours "$SMCROUTE_PID" || fail "smcrouted exited: $(tail -n 2 "$WORKDIR/smcroute.log")"
	in_ns "$NS_RTR" ip -6 mroute show 2>/dev/null | grep -q "($1,[[:space:]]*$2)"
}

# sink6 NS NAME [options]: the mcast6 sink in NS for $GROUP6, its JSON in $WORKDIR/NAME.json,
# its PID in PID_NAME.
sink6() {
	local ns=$1 name=$2; shift 2
	ip netns exec "$ns" "$PYTHON" "$TOOLS/mcast6" sink --group "$GROUP6" --interface eth0 --duration 60 \
		--ready-file "$WORKDIR/$name.ready" "$@" >"$WORKDIR/$name.json" 2>"$WORKDIR/$name.log" &
	eval "PID_$name=$!"
	remember "$!"
}

wait_sinks6() {
	local name
	for name in "$@"; do
		wait_until 10 test -e "$WORKDIR/$name.ready" || fail "sink $name did not start: $(cat "$WORKDIR/$name.log")"
	done
}

# send6 NAME [options]: a stream to $GROUP6 from the source namespace in the background; its
# summary lands in $WORKDIR/NAME.json.
send6() {
	local name=$1; shift
	in_ns "$NS_SRC" "$PYTHON" "$TOOLS/mcast6" send --group "$GROUP6" --interface eth0 "$@" \
		>"$WORKDIR/$name.json" 2>"$WORKDIR/$name.log" &
	remember $!
}

# mld_joins N: mutd has logged at least N MLD joins of $GROUP6.
mld_joins() { [ "$(grep -c "MLD: .* joined $GROUP6 on lan0" "$TRANSLATOR_LOG")" -ge "$1" ]; }

get6() { json_get "$WORKDIR/$1.json" "$2"; }
