#!/bin/bash
# Runs inside the Wi-Fi test bed's qemu guest as its init (started by the image's
# /sbin/mut-wifi-init once the host's share is at /mnt/bed).  Builds the bed,
# runs each scenario listed in /mnt/bed/scenarios ("NAME LOSS MODE" per line,
# MODE plain|mutd|mutd-leave|mutd-telemetry|hostapd-m2u) and leaves its raw results in /mnt/bed/out/NAME/
# for the host to judge (tools/wifi/report.py).  Powers the guest off at the end.
#
#   router (root namespace): up0 10.0.0.1 <- source ns (eth0 10.0.0.2, the sender)
#     smcrouted: 239.1.1.1 from up0 to br-lan; the queue ruleset and mutd on br-lan
#     br-lan 192.168.50.1 (snooping off) with wlan0: hostapd, radio 0, the AP
#   staN namespace (N = 1..3): radio N, wpa_supplicant, wlanN 192.168.50.1N
#   medium.py: every frame between the radios crosses it, lost per attempt
set -u
BED=/mnt/bed
OUT=$BED/out
TOOLS=$BED/tools
GROUP=239.1.1.1
PORT=5000
STATIONS=3
WATCHING="1 2"
. "$BED/config"  # SECONDS_STREAM, PPS

log() {
	local line
	line="guest: [$(cut -d' ' -f1 /proc/uptime)] $*"
	echo "$line"; echo "$line" >>"$OUT/guest.log"
}
finish() { sync; log "done"; echo o >/proc/sysrq-trigger; sleep 10; }
trap finish EXIT

mount -o remount,rw / 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p "$OUT" /run/netns
: >"$OUT/guest.log"
log "kernel $(uname -r), $(nproc) vCPU"
ip link set lo up

# The project as `make install DESTDIR=stage PREFIX=/usr` laid it out.
# tar, not cp: /lib is a symbolic link to usr/lib in the image (merged /usr).
tar -C "$BED/stage" -cf - . | tar -C / -xf - --keep-directory-symlink --no-same-owner \
	|| { log "FAIL cannot install the stage"; exit 1; }
for f in /usr/sbin/mutd /usr/bin/mutctl /usr/share/mut/nft-rules/load /lib/systemd/system/mutd.service \
	/usr/share/man/man8/mutd.8 /usr/share/man/man8/mutctl.8 /usr/share/man/man5/mutd.conf.5; do
	[ -e "$f" ] || log "FAIL installed file missing: $f"
done
/usr/sbin/mutd --version >"$OUT/mutd-version.txt" 2>&1

wait_until() {  # wait_until SECONDS COMMAND...: poll every 0.2 s
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.2; done
}

# --- the bed -------------------------------------------------------------------
sysctl -qw net.core.rmem_max=16777216 net.ipv4.ip_forward=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
modprobe mac80211_hwsim radios=$((STATIONS + 1)) || { log "FAIL modprobe mac80211_hwsim"; exit 1; }
wait_until 10 test -e /sys/class/net/wlan$STATIONS || { log "FAIL no wlan$STATIONS"; exit 1; }

ip link add br-lan type bridge
echo 0 >/sys/class/net/br-lan/bridge/multicast_snooping
ip addr add 192.168.50.1/24 dev br-lan
ip link set br-lan up

ip netns add src
ip link add up0 type veth peer name eth0 netns src
ip addr add 10.0.0.1/24 dev up0
ip link set up0 up
ip -n src link set lo up
ip -n src addr add 10.0.0.2/24 dev eth0
ip -n src link set eth0 up
ip -n src route add default via 10.0.0.1
sysctl -qw net.ipv4.conf.up0.rp_filter=0

mkdir -p /run/wifi
for i in $(seq 1 $STATIONS); do
	ns=sta$i
	ip netns add $ns
	iw phy "$(cat /sys/class/net/wlan$i/phy80211/name)" set netns name $ns
	ip -n $ns link set lo up
	cat >/run/wifi/$ns.conf <<-EOF
	ctrl_interface=/run/wifi/ctrl-$ns
	network={
	  ssid="mut-lab"
	  psk="mut-lab-passphrase"
	  key_mgmt=WPA-PSK
	  proto=RSN
	  scan_freq=2412
	}
	EOF
	ip netns exec $ns wpa_supplicant -B -D nl80211 -i wlan$i -c /run/wifi/$ns.conf \
		-P /run/wifi/$ns.pid >"$OUT/wpa-$ns.log" 2>&1
	ip -n $ns addr add 192.168.50.1$i/24 dev wlan$i
	ip -n $ns link set wlan$i up
	ip netns exec $ns iw dev wlan$i set power_save off
done

cat >/run/wifi/smcroute.conf <<EOF
mroute from up0 group $GROUP to br-lan
EOF
smcrouted -n -f /run/wifi/smcroute.conf -u /run/wifi/smcroute.sock -P /run/wifi/smcroute.pid \
	-l info >"$OUT/smcroute.log" 2>&1 &
SMCROUTE_PID=$!

HOSTAPD_PID=""
HOSTAPD_MODE=""
start_hostapd() {  # start_hostapd 0|1 (multicast_to_unicast)
	[ "$HOSTAPD_MODE" = "$1" ] && return 0
	[ -n "$HOSTAPD_PID" ] && { kill "$HOSTAPD_PID"; wait "$HOSTAPD_PID" 2>/dev/null; }
	cat >/run/wifi/hostapd.conf <<-EOF
	interface=wlan0
	bridge=br-lan
	driver=nl80211
	ctrl_interface=/run/wifi/hostapd
	ssid=mut-lab
	hw_mode=g
	channel=1
	# 1 s: fewer frames for the emulated CPU, and a station whose beacons wait
	# behind a busy medium's backlog does not drop its association at once
	# (mac80211 probes the AP after 7 missed beacon intervals).
	beacon_int=1000
	supported_rates=60 90 120 180 240 360 480 540
	basic_rates=60 120 240
	wpa=2
	wpa_passphrase=mut-lab-passphrase
	wpa_key_mgmt=WPA-PSK
	rsn_pairwise=CCMP
	ap_isolate=0
	multicast_to_unicast=$1
	EOF
	hostapd /run/wifi/hostapd.conf >>"$OUT/hostapd.log" 2>&1 &
	HOSTAPD_PID=$!
	HOSTAPD_MODE=$1
	wait_until 30 sh -c 'hostapd_cli -p /run/wifi/hostapd -i wlan0 status 2>/dev/null | grep -q "^state=ENABLED"' \
		|| log "hostapd not enabled after 30 s"
	# wpa_supplicant backs off its scans while no AP is there: ask for one now.
	for i in $(seq 1 $STATIONS); do
		wpa_cli -p /run/wifi/ctrl-sta$i -i wlan$i status 2>/dev/null | grep -q '^wpa_state=COMPLETED' \
			|| wpa_cli -p /run/wifi/ctrl-sta$i -i wlan$i reassociate >/dev/null 2>&1
	done
	# A last look after the wait: a starved guest may complete the association just then.
	all_associated 120 || [ "$(associated_count)" -eq $STATIONS ] \
		|| { log "stations did not associate: $(associated_count)/$STATIONS"; return 1; }
	log "hostapd multicast_to_unicast=$1: $STATIONS stations associated"
}
associated_count() {
	local i n=0
	for i in $(seq 1 $STATIONS); do
		wpa_cli -p /run/wifi/ctrl-sta$i -i wlan$i status 2>/dev/null | grep -q '^wpa_state=COMPLETED' && n=$((n + 1))
	done
	echo $n
}
all_associated() { wait_until "$1" test "$(associated_count)" -eq $STATIONS; }

# mutd as the unit file starts it: its Environment, EnvironmentFile, ExecStartPre
# (the loader) and ExecStart lines, with /run/mutd made as RuntimeDirectory does.
UNIT=/lib/systemd/system/mutd.service
unit_lines() { sed -n "s/^$1=//p" "$UNIT"; }
MUTD_PID=""
start_mutd() {
	cat >/etc/mutd.conf <<-EOF
	interface = br-lan
	queue = 0
	querier = yes
	EOF
	# The airtime scenario: the bed's group frames go at 6 Mbit/s (basic_rates below),
	# and a short dwell lets the decision come back within the stream.
	[ "${2:-}" = mutd-airtime ] && printf '%s\n' "airtime-multicast-rate = 6" \
		"airtime-min-dwell = $AIRTIME_DWELL" >>/etc/mutd.conf
	echo 'MUT_RULES_ARGS="--interface br-lan --queue 0"' >/etc/default/mutd
	mkdir -p /run/mutd
	eval "export $(unit_lines Environment)"
	set -a; . /etc/default/mutd; set +a
	local pre start
	pre=$(unit_lines ExecStartPre | sed 's/^[-+@!:]*//')
	start=$(unit_lines ExecStart | sed 's/^[-+@!:]*//')
	log "ExecStartPre: $(eval echo "$pre")"
	eval "$pre" >>"$1/loader.log" 2>&1 || { log "loader failed: $(tail -n 2 "$1/loader.log")"; return 1; }
	log "ExecStart: $(eval echo "$start")"
	# exec: $! is then mutd itself, so that stop_mutd stops it (not only a subshell).
	eval "exec $start" >>"$1/mutd.log" 2>&1 &
	MUTD_PID=$!
	wait_until 10 test -S /run/mutd/mutd.sock || { log "mutd has no control socket"; return 1; }
}
stop_mutd() {
	[ -n "$MUTD_PID" ] || return 0
	kill "$MUTD_PID"; wait "$MUTD_PID" 2>/dev/null; MUTD_PID=""
	eval "$(unit_lines ExecStopPost | sed 's/^[-+@!:]*//')" >>"$1/loader.log" 2>&1
}
watchers_known() {  # mutd lists both watching stations as clients of the group
	mutctl groups --json >"$1" 2>/dev/null || return 1
	python3 -c 'import json, sys
clients = {c.get("ip") for g in json.load(open(sys.argv[1]))["groups"] for c in g.get("clients", [])}
sys.exit(0 if set(sys.argv[2:]) <= clients else 1)' "$1" $(for i in $WATCHING; do echo 192.168.50.1$i; done)
}

received_counts() {  # what the stations received and the AP sent so far
	local i
	for i in $(seq 1 $STATIONS); do ip -n sta$i -s link show wlan$i | awk '/RX:/ { getline; printf "%s ", $2 }'; done
	ip -s link show wlan0 | awk '/TX:/ { getline; print $2 }'
}

# Station 2 leaves the AP a fifth into the stream and comes back at two fifths; the times
# (the guest's clock, as the captures') go to the results for report.py, with the AP's own
# station events (`iw event -t`: when it deleted and added the station). How it leaves:
# `disconnect` (wpa_cli disconnect: a deauthentication) or `kill` (its wpa_supplicant is
# killed with SIGKILL, as a crashing or powered-off client; started again to come back).
# The sender runs on until the station is back and has had 8 s of stream (a starved guest
# can take half a minute to associate again), at most a minute longer than planned.
station_leaves_and_returns() {  # DIR STREAM_SECONDS disconnect|kill SENDER_PID
	local dir=$1 stream=$2 how=$3 sender=$4 third=$(($2 / 5)) started=$SECONDS
	local cli="wpa_cli -p /run/wifi/ctrl-sta2 -i wlan2"
	sleep "$third"
	date +%s.%N >"$dir/left.t"
	if [ "$how" = kill ]; then
		kill -KILL "$(cat /run/wifi/sta2.pid)" 2>/dev/null
	else
		$cli disconnect >/dev/null 2>&1
	fi
	log "sta2 left ($how)"
	sleep "$third"
	date +%s.%N >"$dir/returned.t"
	if [ "$how" = kill ]; then
		rm -f /run/wifi/ctrl-sta2/wlan2
		ip netns exec sta2 wpa_supplicant -B -D nl80211 -i wlan2 -c /run/wifi/sta2.conf \
			-P /run/wifi/sta2.pid >>"$OUT/wpa-sta2.log" 2>&1
	else
		$cli reconnect >/dev/null 2>&1
	fi
	# A starved guest's scan or handshake can time out: ask again every 15 s, for a minute.
	local try
	for try in 1 2 3 4; do
		wait_until 15 sh -c "$cli status 2>/dev/null | grep -q '^wpa_state=COMPLETED'" \
			&& { date +%s.%N >"$dir/associated.t"; break; }
		[ $try -lt 4 ] && $cli reassociate >/dev/null 2>&1
	done
	log "sta2 back (after $try wait(s) of at most 15 s)"
	local until=$((SECONDS + 8))
	[ $until -lt $((started + stream)) ] && until=$((started + stream))
	while [ $SECONDS -lt $until ] && kill -0 "$sender" 2>/dev/null; do sleep 1; done
	kill -TERM "$sender" 2>/dev/null
}

# The radio telemetry mutd reports for the stations (mutctl groups --json) at a quarter and
# at half of the stream; then the medium's loss on the AP's link to station TELEMETRY_STATION
# rises to TELEMETRY_LOSS (medium.py rereads its control file on SIGUSR1), and a last sample
# is taken just before the stream ends. report.py compares the retries of the windows.
TELEMETRY_STATION=1
TELEMETRY_LOSS=0.3
MEDIUM_CONTROL=/run/wifi/medium-control
telemetry_samples() {  # DIR STREAM_SECONDS MEDIUM_PID
	local dir=$1 quarter=$(($2 / 4)) medium=$3
	sleep "$quarter"
	mutctl groups --json >"$dir/telemetry-0.json" 2>&1
	sleep "$quarter"
	mutctl groups --json >"$dir/telemetry-1.json" 2>&1
	echo "0:$TELEMETRY_STATION=$TELEMETRY_LOSS" >"$MEDIUM_CONTROL"
	kill -USR1 "$medium"
	date +%s.%N >"$dir/raised.t"
	log "medium: loss on the AP's link to sta$TELEMETRY_STATION raised to $TELEMETRY_LOSS"
	sleep $((2 * quarter - 2))
	mutctl groups --json >"$dir/telemetry-2.json" 2>&1
}

# The airtime scenario: the AP's rates to every station are forced down to 6 Mbit/s
# (the lowest rate of the bed's 802.11g set) a fifth into the stream, where copies to two
# stations cost about twice one multicast frame at 6 Mbit/s, and freed at three fifths.
# Meanwhile light unicast traffic to each station (10 small UDP datagrams a second: the
# image has no ping) keeps the AP's rate control working and its per-station TX rate
# current while the group itself goes as multicast, and every 2 s the guest records mutd's
# groups report and the AP's station dump, with the time. Both stop with the sender
# (light on purpose: under emulation every process start costs).
AIRTIME_DWELL=8
AIRTIME_PIDS=""
airtime_trace() {  # airtime_trace DIR SECONDS: one record every 2 s
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		{
			echo "@ $(date +%s.%N)"
			mutctl groups --json 2>/dev/null
			echo
			iw dev wlan0 station dump 2>/dev/null | grep -E '^Station|tx bitrate|tx packets|tx retries'
		} >>"$1/airtime-trace.txt"
		sleep 2
	done
}
airtime_phases() {  # airtime_phases DIR STREAM_SECONDS
	local dir=$1 fifth=$(($2 / 5)) i
	python3 -c 'import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for host in sys.argv[2:]:
        sock.sendto(bytes(200), (host, 9))
    time.sleep(0.1)' $(($2 + 10)) $(for i in $WATCHING; do echo 192.168.50.1$i; done) >/dev/null 2>&1 &
	AIRTIME_PIDS="$AIRTIME_PIDS $!"
	airtime_trace "$dir" $(($2 + 10)) &
	AIRTIME_PIDS="$AIRTIME_PIDS $!"
	sleep "$fifth"
	date +%s.%N >"$dir/forced.t"
	iw dev wlan0 set bitrates legacy-2.4 6 >>"$dir/iw.log" 2>&1 || log "iw set bitrates failed: $(tail -n 1 "$dir/iw.log")"
	log "AP rates forced to 6 Mbit/s"
	sleep $((fifth * 2))
	date +%s.%N >"$dir/freed.t"
	iw dev wlan0 set bitrates >>"$dir/iw.log" 2>&1 || log "iw set bitrates (reset) failed: $(tail -n 1 "$dir/iw.log")"
	log "AP rates free again"
}

# --- one scenario --------------------------------------------------------------
run_scenario() {  # NAME LOSS MODE
	# Everything is written to the guest's tmpfs first and copied to the share
	# at the end: writing through 9p per packet costs the emulated CPU dearly.
	local name=$1 loss=$2 mode=$3 dir=/tmp/scenario/$1 i pids="" stream=$SECONDS_STREAM
	# Leaving and coming back needs room on both sides (an emulated station takes several
	# seconds to associate again): three times the stream.
	case $mode in mutd-leave*) stream=$((SECONDS_STREAM * 3)) ;; esac
	# Two windows of telemetry, each long enough for several of mutd's samples (every 2 s).
	[ "$mode" = mutd-telemetry ] && stream=$((SECONDS_STREAM * 2))
	# Forced, switched, freed, back after the dwell: four times the stream.
	[ "$mode" = mutd-airtime ] && stream=$((SECONDS_STREAM * 4))
	mkdir -p "$dir"
	log "scenario $name: loss $loss, $mode, ${stream}s at ${PPS} pps"
	echo "$loss $mode $stream $PPS" >"$dir/params"
	# The stations associate over the kernel's own lossless medium (fast), then
	# the scenario's medium takes over.
	if [ "$mode" = hostapd-m2u ]; then start_hostapd 1; else start_hostapd 0; fi || echo setup >"$dir/failed"
	: >"$MEDIUM_CONTROL"
	python3 "$TOOLS/medium.py" --radios $((STATIONS + 1)) --loss "$loss" --stats "$dir/medium.json" \
		--control "$MEDIUM_CONTROL" >"$dir/medium.log" 2>&1 &
	local medium_pid=$!
	wait_until 30 grep -q registered "$dir/medium.log" || { log "medium did not register"; cat "$dir/medium.log" >>"$OUT/guest.log"; }
	all_associated 60 || { log "stations not associated"; echo associate >"$dir/failed"; }
	case $mode in mutd*) start_mutd "$dir" "$mode" || echo mutd >"$dir/failed" ;; esac
	iw dev wlan0 station dump >"$dir/ap-before.txt"
	for i in $(seq 1 $STATIONS); do
		ip netns exec sta$i tcpdump -i wlan$i -s 1500 -w "$dir/sta$i.pcap" "udp port $PORT" \
			>/dev/null 2>"$dir/tcpdump-sta$i.log" &
		pids="$pids $!"
	done
	if [ "${mode#mutd-leave}" != "$mode" ]; then
		# What the AP sends towards each station (the frames mutd's copies become).
		tcpdump -i wlan0 -s 128 -w "$dir/ap.pcap" "udp port $PORT" >/dev/null 2>"$dir/tcpdump-ap.log" &
		pids="$pids $!"
	fi
	local planned=$stream events=""
	case $mode in mutd-leave*)
		planned=$((stream + 60))
		iw event -t >"$dir/ap-events.txt" 2>&1 &
		events=$!
	esac
	for i in $WATCHING; do
		ip netns exec sta$i python3 "$TOOLS/mcast-join" --group $GROUP --interface wlan$i \
			--seconds $((planned + 30)) >/dev/null 2>&1 &
		pids="$pids $!"
	done
	case $mode in
	mutd*) wait_until 30 watchers_known "$dir/groups-before.json" && log "mutd knows both watching stations" \
			|| log "mutd does not know both watching stations" ;;
	*) sleep 2 ;;
	esac
	ip netns exec src python3 "$TOOLS/ts-replay" --file "$BED/stream.ts" --group $GROUP --port $PORT \
		--pps "$PPS" --seconds "$planned" --log "$dir/sent.bin" >"$dir/sender.log" 2>&1 &
	local sender=$!
	case $mode in
	mutd-leave) station_leaves_and_returns "$dir" "$stream" disconnect $sender ;;
	mutd-leave-kill) station_leaves_and_returns "$dir" "$stream" kill $sender ;;
	mutd-telemetry) telemetry_samples "$dir" "$stream" "$medium_pid" ;;
	mutd-airtime) airtime_phases "$dir" "$stream" ;;
	esac
	wait $sender
	[ -n "$events" ] && kill "$events" 2>/dev/null
	[ -n "$AIRTIME_PIDS" ] && { kill $AIRTIME_PIDS 2>/dev/null; wait $AIRTIME_PIDS 2>/dev/null; AIRTIME_PIDS=""; }
	# A busy guest delivers late: wait until nothing moves any more (at most 60 s).
	local now last="" still=0
	for i in $(seq 1 60); do
		now=$(received_counts)
		if [ "$now" = "$last" ]; then still=$((still + 1)); [ $still -ge 3 ] && break; else still=0; fi
		last=$now
		sleep 1
	done
	log "scenario $name: delivery settled $i s after the sender ended"
	iw dev wlan0 station dump >"$dir/ap-after.txt"
	if [ "${mode#mutd}" != "$mode" ]; then
		mutctl groups --json >"$dir/groups.json" 2>&1
		mutctl status --json >"$dir/status.json" 2>&1
		stop_mutd "$dir"
	fi
	kill $pids 2>/dev/null; wait $pids 2>/dev/null
	kill "$medium_pid"; wait "$medium_pid" 2>/dev/null
	ethtool -S wlan0 >"$dir/ap-ethtool.txt" 2>&1
	ps -eo pid,comm,time --sort=-time | head -n 12 >"$dir/cpu.txt"
	cat /proc/net/netlink >"$dir/netlink.txt"
	cp -r "$dir" "$OUT/" || log "cannot copy $name's results to the share"
	log "scenario $name: recorded"
}

while read -r name loss mode; do
	[ -n "$name" ] && run_scenario "$name" "$loss" "$mode" </dev/null
done <"$BED/scenarios"
kill "$HOSTAPD_PID" "$SMCROUTE_PID" 2>/dev/null
for i in $(seq 1 $STATIONS); do kill "$(cat /run/wifi/sta$i.pid 2>/dev/null)" 2>/dev/null; done
