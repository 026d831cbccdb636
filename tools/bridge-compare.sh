#!/usr/bin/env bash
# bridge-compare.sh: the "every viewer tracked" scenario (Tests/netns/t-querier.sh) run against
# mutd and against the Linux bridge's own mcast_to_unicast, on the same topology, measured.
#
#   sudo tools/bridge-compare.sh            # all four configurations, ~4 minutes
#   sudo tools/bridge-compare.sh b c        # some of them
#
# Configurations (source -> router (smcrouted) -> AP bridge -> clients, from Tests/netns/lib.sh):
#   a  mutd --querier; AP bridge floods (mcast_snooping 0); one AP port per client
#   b  kernel: AP bridge mcast_snooping 1 + mcast_querier 1, mcast_to_unicast on each client
#      port; no queue rule, no mutd; one AP port per client
#   c  kernel as b, but the three clients share ONE AP port through a flooding hub bridge
#      (namespace "air"): a Wi-Fi radio as the bridge sees it; hosts hear each other's reports
#   d  mutd as a, on the shared-medium topology of c
# Scenario: three clients forced to IGMPv2, one group, 100 pps for PHASE1 s (five query
# intervals), then client 3's IGMP output blocked for PHASE2 s (one membership interval, 11 s,
# and slack). Timers everywhere: query interval 5 s, max response 1 s, robustness 2.
#
# Every configuration runs in its own child process with its own namespaces (prefix mut<PID>),
# bounded by `timeout`; lib.sh's EXIT trap kills what it started and deletes its namespaces.
# Needs root, iproute2, smcroute, tcpdump, python3, iptables-nft; mutd built (MUT_BIN_DIR,
# default .build/debug) for a and d.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LIB="$HERE/../Tests/netns/lib.sh"
PHASE1=${PHASE1:-25}   # five query intervals
PHASE2=${PHASE2:-16}   # one membership interval (11 s) and slack
RATE=100

usage() { echo "usage: $0 [a|b|c|d ...]   (root; default: a b c d)" >&2; exit 2; }

# ------------------------------------------------------------------ one configuration (child)

run_config() {
	local config=$1 out=$2
	# shellcheck source-path=SCRIPTDIR source=../Tests/netns/lib.sh
	source "$LIB"
	require_root
	command -v tcpdump >/dev/null || skip "tcpdump not installed"
	local shared=0 kernel=0
	case "$config" in
	a) ;; b) kernel=1 ;; c) kernel=1; shared=1 ;; d) shared=1 ;;
	*) fail "unknown configuration $config" ;;
	esac
	[ $kernel = 1 ] || { require_translator; [ "$TRANSLATOR" = mutd ] || skip "needs mutd"; }
	local count=$(( (PHASE1 + PHASE2) * RATE )) i

	if [ $shared = 1 ]; then topology_shared 3; else topology 3; fi
	for i in 1 2 3; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=2; done
	learn_neighbours
	if [ $kernel = 1 ]; then
		kernel_bridge_querier
	else
		load_queue_rule
		# shellcheck disable=SC2034  # read by lib.sh's start_translator
		MUTD_ARGS=(--querier --igmp-query-interval 5 --igmp-query-response-interval 1 --igmp-robustness 2)
		# shellcheck disable=SC2119  # no static subscribers: mutd learns them from IGMP
		start_translator   # no static subscribers: mutd learns them from IGMP
	fi
	for i in 1 2 3; do
		ip netns exec "$(client_ns "$i")" timeout $((PHASE1 + PHASE2 + 15)) tcpdump -n -i eth0 -s 256 -U \
			-w "$WORKDIR/wire-$i.pcap" "igmp or udp port $PORT" 2>"$WORKDIR/tcpdump-$i.log" &
		remember $!
	done
	for i in 1 2 3; do start_sink "$i" --expect "$count"; done
	wait_sinks_ready 1 2 3
	# Joins can be suppressed too (a v2 host that hears another's report for the group before its
	# own unsolicited report goes out stays quiet until a query): give mutd up to three query
	# intervals to learn all three, and record how long it took instead of failing.
	if [ $kernel = 0 ]; then
		local waited=0
		while ! joins_logged 3 && [ $waited -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
		echo "$(grep -c "joined $GROUP on lan0" "$TRANSLATOR_LOG") $waited" >"$WORKDIR/learned.txt"
	fi
	[ $kernel = 1 ] && { watch_mdb & remember $!; }
	date +%s.%N >"$WORKDIR/start.ts"
	in_ns "$NS_SRC" "$PYTHON" "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" --count "$count" \
		--rate "$RATE" --ttl "$SENDER_TTL" --stream 7 >"$WORKDIR/send.json" 2>"$WORKDIR/send.log" &
	remember $!
	sleep "$PHASE1"
	block_igmp 3
	date +%s.%N >"$WORKDIR/block.ts"
	wait_until $((PHASE2 + 10)) test -s "$WORKDIR/send.json" || fail "the sender did not finish"
	sleep 0.5
	stop_sinks 1 2 3
	sleep 1   # let tcpdump flush (-U) before it is stopped by cleanup
	local expired=""
	[ $kernel = 1 ] || expired=$(grep -o "IGMP: [0-9.]* expired" "$TRANSLATOR_LOG" | awk '{print $2}' | tr '\n' ' ')
	GROUP=$GROUP analyze "$PYTHON" measure "$WORKDIR" "$config" "$count" "$RATE" "$PHASE1" "$expired" >"$out" \
		|| fail "analysis failed"
}

joins_logged() { [ "$(grep -c "joined $GROUP on lan0" "$TRANSLATOR_LOG")" -ge "$1" ]; }

# topology_shared N: as lib.sh's topology, but the N clients sit behind ONE AP bridge port
# (radio0) through a flooding hub bridge in namespace "air": what a Wi-Fi AP's single radio
# port looks like to its bridge. Unicast frames reach only their station (static fdb, like
# 802.11 addressing); multicast, IGMP reports included, reaches every station.
topology_shared() {
	local n=$1 i
	NS_AIR="$PREFIX-air"
	backbone
	add_ns "$NS_AIR"
	ip link add radio0 netns "$NS_AP" type veth peer name up0 netns "$NS_AIR" || fail "veth ap-air"
	ip -n "$NS_AP" link set radio0 master br0
	ip -n "$NS_AP" link set radio0 up
	ip -n "$NS_AIR" link add hub0 type bridge mcast_snooping 0 stp_state 0 || fail "hub bridge"
	ip -n "$NS_AIR" link set up0 master hub0
	ip -n "$NS_AIR" link set up0 up
	for i in $(seq 1 "$n"); do
		add_client "$i" "$NS_AIR" c hub0
		bridge -n "$NS_AP" fdb add "$(client_mac "$i")" dev radio0 master static || fail "AP fdb $i"
	done
	ip -n "$NS_AIR" link set hub0 up
	ip -n "$NS_AP" link set br0 up
	start_smcroute
	say "topology: source -> router (smcrouted) -> AP br0 port radio0 -> air hub0 (floods) -> $n clients [prefix $PREFIX]"
}

# kernel_bridge_querier: the AP bridge snoops and queries with the scenario's timers (in
# centiseconds) and sends unicast copies out of the client-facing port(s).
kernel_bridge_querier() {
	kernel_bridge_m2u 2 mcast_query_interval 500 mcast_query_response_interval 100 \
		mcast_membership_interval 1100 mcast_querier_interval 1050 mcast_last_member_interval 100 \
		mcast_last_member_count 2 mcast_startup_query_interval 125 mcast_startup_query_count 2
	ip -n "$NS_AP" -d link show br0 | grep -o 'mcast_[a-z_]* [0-9]*' | tr '\n' ' ' >"$WORKDIR/bridge-settings.txt"
	bridge -n "$NS_AP" -d link show | grep -o '^[0-9]*: [a-z0-9]*\|mcast_to_unicast [a-z]*' | tr '\n' ' ' \
		>>"$WORKDIR/bridge-settings.txt"
}

# watch_mdb: the bridge's multicast database once a second (bounded), for the analysis.
watch_mdb() {
	local n=0
	while [ $n -lt $(( (PHASE1 + PHASE2 + 5) * 2 )) ]; do
		printf '@ %s\n' "$(date +%s.%N)"
		bridge -n "$NS_AP" -d -s mdb show 2>&1
		sleep 0.5; n=$((n + 1))
	done >"$WORKDIR/mdb.txt"
}

# ------------------------------------------------------------------ analysis

# analyze PYTHON measure WORKDIR CONFIG COUNT RATE PHASE1 "EXPIRED IPs": one configuration's
# numbers as JSON, from the sinks' JSON, the clients' pcaps and the MDB samples.
# analyze PYTHON table FILE...: the results table.
analyze() {
	local python=$1; shift
	"$python" - "$@" <<-'EOF'
	import json, os, struct, sys

	def pcap_frames(path):
	    """(timestamp, frame bytes) from a classic little/big-endian pcap; [] if unreadable."""
	    try:
	        data = open(path, "rb").read()
	    except OSError:
	        return []
	    if len(data) < 24:
	        return []
	    magic = data[:4]
	    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
	    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
	    out, at = [], 24
	    while at + 16 <= len(data):
	        sec, frac, incl, _ = struct.unpack(end + "IIII", data[at:at + 16])
	        at += 16
	        out.append((sec + frac / (1e9 if nano else 1e6), data[at:at + incl]))
	        at += incl
	    return out

	def mac(b):
	    return ":".join("%02x" % x for x in b)

	def measure(workdir, config, count, rate, phase1, expired):
	    count, rate, phase1 = int(count), int(rate), int(phase1)
	    start = float(open(os.path.join(workdir, "start.ts")).read())
	    block = float(open(os.path.join(workdir, "block.ts")).read())
	    clients = []
	    for i in (1, 2, 3):
	        own_mac = "02:00:00:00:02:%02d" % (10 + i)
	        own_ip = "10.10.2.%d" % (10 + i)
	        try:
	            sink = json.load(open(os.path.join(workdir, "sink-%d.json" % i)))
	        except (OSError, ValueError):
	            sink = {}
	        cap, sock = sink.get("capture", {}), sink.get("socket", {})
	        data_times, own_times = [], []
	        reports, queries = {}, {"general": 0, "group": 0, "per_host_to_me": 0}
	        for ts, f in pcap_frames(os.path.join(workdir, "wire-%d.pcap" % i)):
	            if len(f) < 34 or f[12:14] != b"\x08\x00":
	                continue
	            ihl = (f[14] & 15) * 4
	            proto, src = f[23], ".".join(str(x) for x in f[26:30])
	            dst_mac = mac(f[0:6])
	            if proto == 17:
	                data_times.append(ts)
	                if dst_mac == own_mac:
	                    own_times.append(ts)
	            elif proto == 2 and len(f) >= 14 + ihl + 8:
	                kind = f[14 + ihl]
	                group = ".".join(str(x) for x in f[14 + ihl + 4:14 + ihl + 8])
	                if kind in (0x12, 0x16, 0x22):
	                    reports[src] = reports.get(src, 0) + 1
	                elif kind == 0x11:
	                    if dst_mac == own_mac:
	                        queries["per_host_to_me"] += 1
	                    elif group == "0.0.0.0":
	                        queries["general"] += 1
	                    else:
	                        queries["group"] += 1
	        def longest_gap(times, until):
	            """Longest silence (s) and when it began (s after start), from start to `until`."""
	            points = [start] + [t for t in sorted(times) if t <= until] + [until]
	            best = (0.0, 0.0)
	            for a, b in zip(points, points[1:]):
	                if b - a > best[0]:
	                    best = (b - a, a - start)
	            return [round(best[0], 2), round(best[1], 1)]
	        end = max(data_times) if data_times else start
	        end_all = max(end, block + 1)
	        clients.append({
	            "client": i, "ip": own_ip,
	            "socket_unique": sock.get("unique"), "socket_missing": sock.get("missing"),
	            "own_mac_frames": cap.get("to_own_mac"), "group_mac_frames": cap.get("to_group_mac"),
	            "last_own_seq": (cap.get("seq_range", {}).get("own") or [None, None])[1],
	            "last_any_seq": max((v[1] for v in cap.get("seq_range", {}).values()), default=None),
	            # client 3: how long after its IGMP was blocked frames still came (any MAC)
	            "last_frame_after_block_s": round(end - block, 2) if data_times else None,
	            "last_own_after_block_s": round(max(own_times) - block, 2) if own_times else None,
	            "longest_gap_any_before_block": longest_gap(data_times, block),
	            "longest_gap_own_before_block": longest_gap(own_times, block),
	            "longest_gap_any_whole_run": longest_gap(data_times, end_all),
	            "reports_sent": reports.get(own_ip, 0),
	            "reports_heard_from_others": sum(v for k, v in reports.items() if k != own_ip),
	            "queries": queries,
	            "mutd_expired": own_ip in expired.split(),
	        })
	    mdb = []
	    path = os.path.join(workdir, "mdb.txt")
	    if os.path.exists(path):
	        sample = None
	        for line in open(path):
	            if line.startswith("@ "):
	                sample = {"t": round(float(line[2:]) - start, 1), "ports": {}}
	                mdb.append(sample)
	            elif sample is not None and " grp %s " % os.environ.get("GROUP", "239.1.1.1") in line:
	                port = line.split(" port ")[1].split()[0]
	                if port != "br0":
	                    sample["ports"][port] = sample["ports"].get(port, 0) + 1
	        # compress: only the samples where the per-port entry counts changed
	        changes, last = [], None
	        for s in mdb:
	            if s["ports"] != last:
	                changes.append(s)
	                last = s["ports"]
	        mdb = changes
	    learned = None
	    path = os.path.join(workdir, "learned.txt")
	    if os.path.exists(path):
	        hosts, tenths = open(path).read().split()
	        learned = {"hosts": int(hosts), "after_s": int(tenths) / 10}
	    settings = ""
	    path = os.path.join(workdir, "bridge-settings.txt")
	    if os.path.exists(path):
	        settings = open(path).read().strip()
	    json.dump({"config": config, "sent": count, "rate": rate, "phase1": phase1,
	               "block_at_s": round(block - start, 2), "clients": clients,
	               "mdb_changes": mdb, "bridge_settings": settings, "mutd_learned": learned}, sys.stdout, indent=1)
	    print()

	def table(paths):
	    names = {"a": "mutd, port per client", "b": "kernel, port per client",
	             "c": "kernel, shared port", "d": "mutd, shared port"}
	    head = ("cfg", "client", "socket pkts", "own-MAC", "group-MAC", "last unicast seq",
	            "longest silence before block (s @t)", "IGMP reports sent/heard", "after the block / whole run")
	    rows = [head]
	    notes = []
	    for path in sorted(paths):
	        try:
	            r = json.load(open(path))
	        except (OSError, ValueError):
	            rows.append((os.path.basename(path)[0], "-", "no result", "", "", "", "", "", ""))
	            continue
	        for c in r["clients"]:
	            gap = c["longest_gap_any_before_block"]
	            if c["client"] == 3:
	                after = ("frames until %+.2fs (unicast until %+.2fs)" % (c["last_frame_after_block_s"], c["last_own_after_block_s"] or 0)
	                         if c["last_frame_after_block_s"] is not None else "no frames")
	            else:
	                g = c["longest_gap_any_whole_run"]
	                after = "longest silence %ss @%ss" % (g[0], g[1]) if g[0] > 0.5 else "uninterrupted"
	            if r["config"] in "ad":
	                after += ", mutd expired it" if c["mutd_expired"] else ", not expired"
	            rows.append((r["config"], "%d %s" % (c["client"], c["ip"]),
	                         "%s/%s" % (c["socket_unique"], r["sent"]), str(c["own_mac_frames"]),
	                         str(c["group_mac_frames"]), str(c["last_own_seq"]),
	                         "%s @%s" % (gap[0], gap[1]),
	                         "%d/%d" % (c["reports_sent"], c["reports_heard_from_others"]), after))
	        q = r["clients"][0]["queries"]
	        notes.append("%s (%s): block at +%ss (seq ~%d); client 1 saw %d general, %d group-specific, %d per-host (to its MAC) queries"
	                     % (r["config"], names.get(r["config"], "?"), r["block_at_s"], r["block_at_s"] * r["rate"],
	                        q["general"], q["group"], q["per_host_to_me"]))
	        if r.get("mutd_learned"):
	            notes.append("   mutd had learned %d of 3 clients %.1f s after the sinks joined (the stream starts then)"
	                         % (r["mutd_learned"]["hosts"], r["mutd_learned"]["after_s"]))
	        if r["mdb_changes"]:
	            notes.append("   MDB entries for the group per port (t s: port=count): " + "; ".join(
	                "%s: %s" % (s["t"], ",".join("%s=%d" % kv for kv in sorted(s["ports"].items())) or "none")
	                for s in r["mdb_changes"]))
	        if r["bridge_settings"]:
	            notes.append("   bridge: " + r["bridge_settings"])
	    widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
	    for n, row in enumerate(rows):
	        print("| " + " | ".join(v.ljust(widths[k]) for k, v in enumerate(row)) + " |")
	        if n == 0:
	            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
	    print()
	    print("socket pkts: unique sequence numbers the client's UDP socket got, of those sent. own-MAC/group-MAC: frames")
	    print("captured on the client by Ethernet destination. Silence: longest time with no stream frame at all (s, and")
	    print("when it began, s after the stream started); a silence with every packet received is delay, not loss.")
	    print("IGMP reports: v2 reports the client sent / heard from the other clients (tcpdump on its eth0).")
	    print()
	    for line in notes:
	        print(line)

	if sys.argv[1] == "measure":
	    measure(*sys.argv[2:8])
	else:
	    table(sys.argv[2:])
	EOF
}

# ------------------------------------------------------------------ all configurations (parent)

stop_child() {
	[ -n "$CHILD" ] || return 0
	kill -TERM "$CHILD" 2>/dev/null
	wait "$CHILD" 2>/dev/null
}

main() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	local configs=("$@") config status
	[ ${#configs[@]} -gt 0 ] || configs=(a b c d)
	for config in "${configs[@]}"; do case "$config" in a|b|c|d) ;; *) usage ;; esac; done
	results=$(mktemp -d /tmp/bridge-compare.XXXXXX)
	CHILD=""
	# On INT/TERM, stop the running configuration (timeout passes the signal on; lib.sh's trap
	# in the child deletes its namespaces), then remove the results.
	trap 'rm -rf "$results"' EXIT
	trap 'stop_child; exit 130' INT
	trap 'stop_child; exit 143' TERM
	for config in "${configs[@]}"; do
		echo "=== configuration $config" >&2
		timeout -s TERM $((PHASE1 + PHASE2 + 90)) bash "$0" --run "$config" "$results/$config.json" >&2 &
		CHILD=$!
		wait "$CHILD"
		status=$?
		CHILD=""
		[ $status -eq 0 ] || echo "configuration $config: exit $status" >&2
	done
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $0 ${configs[*]}"
	analyze python3 table "$results"/*.json
}

if [ "${1:-}" = --run ]; then
	[ $# -eq 3 ] || usage
	run_config "$2" "$3"
	exit 0
fi
case "${1:-}" in -h|--help) usage ;; esac
main "$@"
