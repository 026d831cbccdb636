#!/usr/bin/env bash
# dist/mutd.service: `systemd-analyze verify` with the unit's executables and man
# pages present (placed in a temporary root, the unit's paths pointed there), a
# broken copy that verify must reject (so a pass means something), and the
# sandbox's exposure score from `systemd-analyze security --offline`.
# No root needed.  Exit 77 (skip) without systemd-analyze.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UNIT="$ROOT/dist/mutd.service"
MAX_EXPOSURE=${MUT_MAX_EXPOSURE:-3.0}   # systemd's scale: 0 safest .. 10; <= 3 reads "OK"
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed (apt-get install systemd)"; exit 77; }

failures=0
ok()  { echo "  ok      $*"; }
bad() { echo "  NOT OK  $*"; failures=$((failures + 1)); }

tmp=$(mktemp -d /tmp/mut-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The executables the unit names, under $tmp (stubs: verify checks that they exist
# and are executable, not what they do).
fake="$tmp/root"
mkdir -p "$fake/usr/sbin" "$fake/usr/share/mut/nft-rules" "$fake/usr/share/man/man5" "$fake/usr/share/man/man8" "$tmp/unit"
for exe in usr/sbin/mutd usr/share/mut/nft-rules/load; do
	printf '#!/bin/sh\nexit 0\n' >"$fake/$exe"; chmod 755 "$fake/$exe"
done
# Documentation=man:... is checked too: the real pages, found through MANPATH.
cp "$ROOT/man/mutd.8" "$ROOT/man/mutctl.8" "$fake/usr/share/man/man8/"
cp "$ROOT/man/mutd.conf.5" "$fake/usr/share/man/man5/"
export MANPATH="$fake/usr/share/man"

sed -e "s#/usr/sbin/mutd#$fake/usr/sbin/mutd#g" \
    -e "s#/usr/share/mut/nft-rules/load#$fake/usr/share/mut/nft-rules/load#g" \
    "$UNIT" >"$tmp/unit/mutd.service"
grep -q "$fake/usr/sbin/mutd" "$tmp/unit/mutd.service" || bad "unit names /usr/sbin/mutd in ExecStart"
grep -q "$fake/usr/share/mut/nft-rules/load" "$tmp/unit/mutd.service" || bad "unit names the installed loader"

verify() { SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$@" 2>&1; }

out=$(verify "$tmp/unit/mutd.service"); status=$?
if [ $status -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify: no complaint"
else bad "systemd-analyze verify (exit $status): $out"; fi

# A verify that cannot fail proves nothing: a missing ExecStart binary and a
# misspelt setting must both be reported.
sed -e "s#$fake/usr/sbin/mutd#$fake/usr/sbin/no-such-mutd#" "$tmp/unit/mutd.service" >"$tmp/unit/broken-exec.service"
out=$(verify "$tmp/unit/broken-exec.service"); status=$?
if [ $status -ne 0 ] && printf '%s' "$out" | grep -q "no-such-mutd"; then ok "verify rejects a missing ExecStart binary"
else bad "verify accepted a missing ExecStart binary (exit $status): $out"; fi
sed -e 's/^ProtectHome=yes/ProtectHome=yes\nProtectHomme=yes/' "$tmp/unit/mutd.service" >"$tmp/unit/broken-key.service"
out=$(verify "$tmp/unit/broken-key.service")
if printf '%s' "$out" | grep -q "ProtectHomme"; then ok "verify reports an unknown setting"
else bad "verify said nothing about an unknown setting: $out"; fi

# The hardening the brief asks for is really there.
for setting in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_PACKET AF_INET AF_INET6" \
	"CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" RuntimeDirectory=mutd; do
	if grep -qx "$setting" "$UNIT"; then ok "$setting"; else bad "missing: $setting"; fi
done
if grep -q '^ExecStartPre=+/usr/share/mut/nft-rules/load ' "$UNIT"; then ok "ExecStartPre loads the ruleset with the installed loader"
else bad "no ExecStartPre with /usr/share/mut/nft-rules/load"; fi
if grep -qx 'ExecStopPost=+/usr/share/mut/nft-rules/load --unload' "$UNIT"; then ok "ExecStopPost unloads it"
else bad "no ExecStopPost ... --unload"; fi

# Exposure score (systemd 250+ has --offline).
if out=$(systemd-analyze security --offline=yes "$tmp/unit/mutd.service" 2>&1); then
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for mutd.service: \([0-9.]*\).*/\1/p')
	echo "  exposure: ${score:-?} ($(printf '%s\n' "$out" | tail -n 1 | sed 's/.*: [0-9.]* //'))"
	if [ -n "$score" ] && awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
		ok "exposure $score <= $MAX_EXPOSURE"
	else bad "exposure ${score:-unknown} above $MAX_EXPOSURE"; fi
else
	echo "  (systemd-analyze security --offline not supported here; exposure not checked)"
fi

if [ $failures -gt 0 ]; then echo "FAIL: $failures check(s)"; exit 1; fi
echo "PASS"
