#!/bin/bash
# The Wi-Fi test bed: real 802.11 (mac80211_hwsim, hostapd, wpa_supplicant) in a
# qemu guest running Debian's kernel, a lossy medium of our own, the project as
# `make install` lays it out.  See docs/wifi.md.
#
#   tools/wifi/run.sh            CI-sized: 30 % loss, plain multicast vs mutd, 10 s
#   WIFI=full tools/wifi/run.sh  loss 0/10/30 % x plain, mutd, hostapd multicast_to_unicast
#
# Environment: WIFI (ci|full), WIFI_SECONDS (stream length per scenario),
# WIFI_PPS (datagrams/s, default 50: half what an
# emulated guest on an idle host sustains), MUT_WIFI_CACHE (image cache directory),
# MUT_WIFI_ACCEL (tcg, or kvm where KVM really boots Debian's kernel),
# MUT_KEEP_WORKDIR=1 (keep the work directory: raw results, console log),
# WIFI_ONLY="NAME ..." (run only these scenarios, e.g. telemetry-mutd).
# Where something needed is missing it says so loudly and exits 0 (skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${WIFI:-ci}
pps=${WIFI_PPS:-50}
case $mode in
ci) seconds=${WIFI_SECONDS:-10}; losses="0.3"; modes="plain mutd" ;;
full) seconds=${WIFI_SECONDS:-30}; losses="0 0.1 0.3"; modes="plain mutd hostapd-m2u" ;;
*) echo "test-wifi: WIFI must be ci or full" >&2; exit 2 ;;
esac

skip() {
	echo "################################################################"
	echo "## test-wifi: SKIPPED: $*"
	echo "################################################################"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap builds the guest as root)"
for tool in qemu-system-x86_64 mmdebstrap mke2fs ffmpeg python3 timeout; do
	command -v $tool >/dev/null || skip "$tool is not installed (make deps installs it)"
done

# --- the guest image, cached by the package list and the script that builds it ---
key=$(cat "$here/packages.list" "$here/build-image.sh" | sha256sum | cut -c1-16)
cache=${MUT_WIFI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/mut-wifi}/$key
started=$SECONDS
if [ ! -s "$cache/rootfs.img" ]; then
	echo "test-wifi: building the guest image into $cache (once per package list)"
	bash "$here/build-image.sh" "$cache" >"${TMPDIR:-/tmp}/mut-wifi-image.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 15 "${TMPDIR:-/tmp}/mut-wifi-image.log"
		rm -rf "$cache"
		[ $rc -eq 77 ] && skip "no Debian mirror in the host's apt sources"
		skip "the guest image could not be built (no Debian mirror reachable?), see above"
	fi
	echo "test-wifi: image built in $((SECONDS - started)) s"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mut-wifi.XXXXXX")
bed=$work/bed
QEMU_PID=""
cleanup() {
	local pid
	for pid in $QEMU_PID $(cat "$work/qemu.pid" 2>/dev/null); do
		kill "$pid" 2>/dev/null && echo "test-wifi: stopped qemu ($pid)"
	done
	if [ "${MUT_KEEP_WORKDIR:-0}" = 1 ]; then echo "test-wifi: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$bed/tools" "$bed/out"

# --- the project, installed as a router would have it ---------------------------
echo "test-wifi: make install DESTDIR=<stage> PREFIX=/usr"
${MAKE:-make} -s -C "$root" install DESTDIR="$bed/stage" PREFIX=/usr >"$work/install.log" 2>&1 \
	|| { tail -n 20 "$work/install.log"; echo "test-wifi: make install failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
cp "$here/guest.sh" "$here/medium.py" "$here/ts-replay" "$root/tools/mcast-join" "$bed/tools/"

# --- the stream: real MPEG-TS (MPEG-2 video + MP2 audio), replayed at a fixed rate --
need_bytes=$((pps * seconds * 1316))
kbps=$((pps * 1316 * 8 / 1000))
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc=size=640x360:rate=25" \
	-f lavfi -i "sine=frequency=1000:sample_rate=48000" -t $((seconds * 4 + 65)) \
	-c:v mpeg2video -b:v $((kbps - 150))k -minrate $((kbps - 150))k -maxrate $((kbps - 150))k -bufsize 500k \
	-c:a mp2 -b:a 96k -f mpegts "$bed/stream.ts" \
	|| { echo "test-wifi: ffmpeg could not make the stream"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[ "$(stat -c %s "$bed/stream.ts")" -ge $need_bytes ] || echo "test-wifi: note: stream shorter than ${seconds}s at $pps pps"
printf 'SECONDS_STREAM=%s\nPPS=%s\n' "$seconds" "$pps" >"$bed/config"
# hostapd's own conversion last: the AP restarts (and the stations associate
# again) only when its mode changes.
: >"$bed/scenarios"
for pass in ours hostapd; do
	for loss in $losses; do
		pct=$(awk -v l="$loss" 'BEGIN { printf "%d", l * 100 + 0.5 }')
		for m in $modes; do
			[ "$m" = hostapd-m2u ] && [ $pass = ours ] && continue
			[ "$m" != hostapd-m2u ] && [ $pass = hostapd ] && continue
			echo "loss$pct-$m $loss $m" >>"$bed/scenarios"
		done
	done
done
# A station that leaves the AP and comes back while mutd serves it (no loss: the
# station's departure is what is measured).
echo "leave-mutd 0 mutd-leave" >>"$bed/scenarios"
# The same station leaving without a word: its wpa_supplicant killed (SIGKILL).
echo "leave-kill-mutd 0 mutd-leave-kill" >>"$bed/scenarios"
# mutd's radio telemetry of the stations moves when one station's link gets lossy (no loss
# at first; guest.sh raises it halfway).
echo "telemetry-mutd 0 mutd-telemetry" >>"$bed/scenarios"
# The AP's rates forced down and freed again: the airtime decision switches the group
# to multicast and back, a bounded number of times (skipped where mutd has no station
# telemetry to decide on).
echo "airtime-mutd 0 mutd-airtime" >>"$bed/scenarios"
if [ -n "${WIFI_ONLY:-}" ]; then
	awk -v only=" $WIFI_ONLY " 'index(only, " " $1 " ")' "$bed/scenarios" >"$bed/scenarios.only"
	mv "$bed/scenarios.only" "$bed/scenarios"
	[ -s "$bed/scenarios" ] || { echo "test-wifi: WIFI_ONLY names no scenario" >&2; exit 2; }
fi
count=$(wc -l <"$bed/scenarios")

# --- boot ------------------------------------------------------------------------
accel=${MUT_WIFI_ACCEL:-tcg}
case $accel in tcg) cpu="-accel tcg -cpu max" ;; kvm) cpu="-accel kvm -cpu host" ;; *) skip "MUT_WIFI_ACCEL must be tcg or kvm" ;; esac
limit=$((300 + count * (seconds * 4 + 180)))
echo "test-wifi: booting the guest ($accel, 1 vCPU, 2 GiB), $count scenario(s) of ${seconds}s, limit ${limit}s"
booted=$SECONDS
# shellcheck disable=SC2086
timeout "$limit" qemu-system-x86_64 $cpu -smp 1 -m 2048 -nic none -display none -monitor none \
	-no-reboot -serial "file:$work/console.log" -pidfile "$work/qemu.pid" \
	-kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 mitigations=off panic=-1 quiet init=/sbin/mut-wifi-init" \
	-drive "file=$cache/rootfs.img,if=virtio,format=raw,snapshot=on" \
	-fsdev "local,id=bed,path=$bed,security_model=none" -device "virtio-9p-pci,fsdev=bed,mount_tag=bed" &
QEMU_PID=$!
wait $QEMU_PID
rc=$?
QEMU_PID=""
echo "test-wifi: guest ran $((SECONDS - booted)) s (qemu exit $rc)"
[ $rc -eq 124 ] && echo "test-wifi: the guest hit the time limit"
if [ ! -s "$bed/out/guest.log" ]; then
	tail -n 30 "$work/console.log"
	echo "test-wifi: the guest never reached the bed's script"
	echo "0 passed, $count failed, 0 skipped"
	exit 1
fi
sed 's/^/  /' "$bed/out/guest.log"
python3 "$here/report.py" "$bed/out" "$bed/scenarios" "$bed/stream.ts" --markdown "$work/table.md"
rc=$?
[ "${MUT_WIFI_TABLE:-}" ] && cp "$work/table.md" "$MUT_WIFI_TABLE"
echo "test-wifi: wall time $((SECONDS - started)) s"
exit $rc
