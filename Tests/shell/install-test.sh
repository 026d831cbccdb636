#!/usr/bin/env bash
# `make install` into a temporary DESTDIR: every file in its place with its mode,
# the installed binaries run (--version, --help) without a Swift installation's
# libraries, the installed man pages render with `man -l` and without groff
# warnings, the installed unit and init script name the installed paths, the
# installed ruleset loader runs (--dry-run).  Then once more with
# PREFIX=/usr/local, to see the paths follow PREFIX.  No root needed.
# Environment: MAKE (default make), MUT_MAKEFILE (default the repository's).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
MAKEFILE=${MUT_MAKEFILE:-$ROOT/Makefile}
VERSION_PATTERN='^[0-9]+\.[0-9]+\.[0-9]+'

failures=0
ok()  { echo "  ok      $*"; }
bad() { echo "  NOT OK  $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

tmp=$(mktemp -d /tmp/mut-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# install_into DIR PREFIX
install_into() {
	if ! "$MAKE" -C "$ROOT" -f "$MAKEFILE" install DESTDIR="$1" PREFIX="$2" >"$tmp/make-$(basename "$1").log" 2>&1; then
		echo "FAIL: make install DESTDIR=$1 PREFIX=$2 failed:"; tail -n 15 "$tmp/make-$(basename "$1").log"
		exit 1
	fi
}

mode_is() { [ "$(stat -c %a "$1" 2>/dev/null)" = "$2" ]; }

echo "== make install DESTDIR=$tmp/root PREFIX=/usr"
install_into "$tmp/root" /usr
d="$tmp/root"
for entry in \
	usr/sbin/mutd:755 usr/bin/mutctl:755 \
	usr/share/mut/nft-rules/mut.nft:644 usr/share/mut/nft-rules/load:755 usr/share/mut/nft-rules/README.md:644 \
	usr/share/man/man8/mutd.8:644 usr/share/man/man8/mutctl.8:644 usr/share/man/man5/mutd.conf.5:644 \
	lib/systemd/system/mutd.service:644 usr/share/doc/mut/mutd.conf.example:644 usr/share/doc/mut/grafana-dashboard.json:644 \
	usr/share/doc/mut/operations.md:644 usr/share/mut/openwrt/mutd.init:755; do
	file=${entry%%:*} mode=${entry##*:}
	check "/$file installed, mode $mode" mode_is "$d/$file" "$mode"
done

# The binaries: run, answer --version and --help, need no Swift runtime library.
for exe in usr/sbin/mutd usr/bin/mutctl; do
	name=$(basename "$exe")
	[ -x "$d/$exe" ] || continue
	version=$("$d/$exe" --version 2>&1); status=$?
	if [ $status -eq 0 ] && printf '%s' "$version" | grep -Eq "$VERSION_PATTERN"; then ok "$name --version: $version"
	else bad "$name --version (exit $status): $version"; fi
	help=$("$d/$exe" --help 2>&1); status=$?
	case $name in mutd) want="--interface" ;; mutctl) want="groups" ;; esac
	if [ $status -eq 0 ] && printf '%s' "$help" | grep -q -- "$want"; then ok "$name --help (mentions $want)"
	else bad "$name --help (exit $status): $(printf '%s' "$help" | head -n 3)"; fi
	swift_libs=$(ldd "$d/$exe" 2>/dev/null | grep -Ei 'swift|Foundation|libicu|libdispatch|BlocksRuntime')
	if [ -z "$swift_libs" ]; then ok "$name links no Swift runtime library (static stdlib)"
	else bad "$name needs Swift runtime libraries: $swift_libs"; fi
	echo "          $name: $(stat -c %s "$d/$exe") bytes; libraries: $(ldd "$d/$exe" 2>/dev/null | awk '$1 ~ /^lib/ { printf "%s ", $1 }')"
done

# Man pages: render, carry their name, no groff warnings.
for page in usr/share/man/man8/mutd.8 usr/share/man/man8/mutctl.8 usr/share/man/man5/mutd.conf.5; do
	base=$(basename "$page"); title=$(echo "${base%.*}" | tr '[:lower:]' '[:upper:]')
	[ -f "$d/$page" ] || continue
	head_lines=$(MANWIDTH=80 man -l "$d/$page" 2>"$tmp/man.err" | head -n 5)
	if printf '%s' "$head_lines" | grep -q "^$title(" && [ ! -s "$tmp/man.err" ]; then ok "man -l $base: $(printf '%s' "$head_lines" | sed -n 4p | sed 's/^ *//')"
	else bad "man -l $base: $(head -n 2 "$tmp/man.err") $(printf '%s' "$head_lines" | head -n 1)"; fi
	warnings=$(groff -man -Tutf8 -ww "$d/$page" 2>&1 >/dev/null)
	check "groff -ww $base: no warnings${warnings:+ ($warnings)}" test -z "$warnings"
done

# Unit and init script name what was installed.
unit="$d/lib/systemd/system/mutd.service"
check "unit: ExecStart=/usr/sbin/mutd ..." grep -q '^ExecStart=/usr/sbin/mutd ' "$unit"
check "unit: ExecStartPre uses /usr/share/mut/nft-rules/load" grep -q '^ExecStartPre=+/usr/share/mut/nft-rules/load ' "$unit"
check "init script: PROG=/usr/sbin/mutd" grep -qx 'PROG=/usr/sbin/mutd' "$d/usr/share/mut/openwrt/mutd.init"

# The installed loader works from its installed place.
out=$("$d/usr/share/mut/nft-rules/load" --interface br-lan --queue 0 --dry-run 2>&1); status=$?
if [ $status -eq 0 ] && printf '%s' "$out" | grep -q 'br-lan'; then ok "installed load --dry-run"
else bad "installed load --dry-run (exit $status): $(printf '%s' "$out" | head -n 3)"; fi

echo "== make install DESTDIR=$tmp/local PREFIX=/usr/local"
install_into "$tmp/local" /usr/local
l="$tmp/local"
check "/usr/local/sbin/mutd installed" test -x "$l/usr/local/sbin/mutd"
check "/usr/local/share/man/man8/mutd.8 installed" test -f "$l/usr/local/share/man/man8/mutd.8"
check "unit follows PREFIX: ExecStart=/usr/local/sbin/mutd" grep -q '^ExecStart=/usr/local/sbin/mutd ' "$l/lib/systemd/system/mutd.service"
check "unit follows PREFIX: loader under /usr/local/share/mut" grep -q '^ExecStartPre=+/usr/local/share/mut/nft-rules/load ' "$l/lib/systemd/system/mutd.service"
check "nothing installed under /usr/sbin with PREFIX=/usr/local" test ! -e "$l/usr/sbin/mutd"

if [ $failures -gt 0 ]; then echo "FAIL: $failures check(s)"; exit 1; fi
echo "PASS"
