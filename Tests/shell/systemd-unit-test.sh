#!/bin/sh
# packaging/mutd.service: `systemd-analyze verify` accepts it (with ExecStart pointed at an
# executable that exists here), and the hardening the daemon relies on is present.
# Prints "N passed, N failed" last; exits non-zero on any failure. Without systemd-analyze
# it says so and passes (CI installs systemd).
set -u
here=$(cd "$(dirname "$0")" && pwd)
unit="$here/../../packaging/mutd.service"
passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
	what=$1; shift
	if "$@"; then passed=$((passed + 1)); echo "  ok      $what"; else failed=$((failed + 1)); echo "  NOT OK  $what"; fi
}
has() { grep -qx "$1" "$unit"; }
check "NoNewPrivileges" has "NoNewPrivileges=yes"
check "ProtectSystem=strict" has "ProtectSystem=strict"
check "RestrictAddressFamilies: AF_UNIX AF_NETLINK AF_PACKET (+AF_INET for ioctls)" has "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_PACKET AF_INET"
check "CapabilityBoundingSet without CAP_SYS_ADMIN" sh -c "grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' '$unit' && ! grep -q 'CAP_SYS_ADMIN' '$unit'"
check "RuntimeDirectory=mutd for the socket" has "RuntimeDirectory=mutd"
check "drops to the user mutd" sh -c "grep -q '^ExecStart=.* --user mutd' '$unit'"
if command -v systemd-analyze >/dev/null 2>&1; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/unit-test.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# verify checks that ExecStart's binary exists: point it at one that does.
	sed "s|^ExecStart=/usr/local/sbin/mutd|ExecStart=/bin/true|" "$unit" >"$work/mutd.service"
	if systemd-analyze verify --man=no "$work/mutd.service" >"$work/out" 2>&1 && ! grep -q "mutd.service" "$work/out"; then
		check "systemd-analyze verify: clean" true
	else
		cat "$work/out"; check "systemd-analyze verify: clean" false
	fi
	systemd-analyze security --offline=true "$work/mutd.service" 2>/dev/null | tail -n 1 | sed 's/^/  /'
else
	echo "  (systemd-analyze not installed: verify skipped)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
