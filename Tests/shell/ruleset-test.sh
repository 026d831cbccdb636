#!/bin/sh
# nft-rules/load without root: the text of --dry-run, the argument errors, and the
# choice of backend against fake `nft` and `iptables-nft` commands that record what
# they are asked and keep a little state, as the kernel would. Runs the loader under
# every POSIX shell found here (sh, dash, busybox ash, bash) to catch bashisms.
#
# Prints "N passed, N failed" last; exits non-zero on any failure.

# $mut_queue and $lan_interfaces in single quotes are nft's variables, not ours.
# shellcheck disable=SC2016
set -u

here=$(cd "$(dirname "$0")" && pwd)
load="$here/../../nft-rules/load"
template="$here/../../nft-rules/mut.nft"
work=$(mktemp -d "${TMPDIR:-/tmp}/ruleset-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL [$shell_name] $*"
}

# run ARGS...: runs the loader; sets status, out (stdout) and err (stderr).
run() {
	PATH="$path_prefix$PATH" $shell_command "$load" "$@" >"$work/out" 2>"$work/err"
	status=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}

expect_status() { # DESCRIPTION EXPECTED
	if [ "$status" = "$2" ]; then pass; else fail "$1: exit $status, expected $2 (stderr: $err)"; fi
}
expect_line() { # DESCRIPTION TEXT LINE: TEXT has exactly this line
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then pass; else fail "$1: no line '$3' in:
$2"; fi
}
expect_contains() { # DESCRIPTION TEXT FRAGMENT
	case "$2" in
	*"$3"*) pass ;;
	*) fail "$1: '$3' not in:
$2" ;;
	esac
}
expect_absent() { # DESCRIPTION TEXT FRAGMENT
	case "$2" in
	*"$3"*) fail "$1: '$3' should not be in:
$2" ;;
	*) pass ;;
	esac
}
expect_equal() { # DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass; else fail "$1: expected
$2
got
$3"; fi
}
line_number() { # TEXT FIXED_STRING: first line holding it, 0 if none
	number=$(printf '%s\n' "$1" | grep -nF -- "$2" | head -n 1 | cut -d: -f1)
	echo "${number:-0}"
}

# The part of a --dry-run output that is the native ruleset.
native_part() { printf '%s\n' "$1" | sed -n '/^# backend 1/,/^# then/p' | sed '1d;$d'; }
# The iptables-nft commands of backend 2, without the program name.
xtables_part() { printf '%s\n' "$1" | sed -n '/^# backend 2/,$p' | sed -n 's/^iptables-nft //p'; }
# The ip6tables-nft commands of backend 2.
xtables6_part() { printf '%s\n' "$1" | sed -n '/^# backend 2/,$p' | sed -n 's/^ip6tables-nft //p'; }

# --- fake kernel tools ----------------------------------------------------------

fakes="$work/bin"
mkdir -p "$fakes"
# nft: FAKE_NFT=ok | noqueue | syntax | denied. State: $FAKE_STATE/nft-tables.
cat >"$fakes/nft" <<'EOF'
#!/bin/sh
state="$FAKE_STATE/nft-tables"
touch "$state"
case "$1 $2" in
"list tables")
	[ "$FAKE_NFT" = denied ] && { echo "Error: Operation not permitted" >&2; exit 1; }
	cat "$state"; exit 0 ;;
"-f -")
	input=$(cat)
	printf '%s\n' "$input" >>"$FAKE_STATE/nft-input"
	case "$FAKE_NFT" in
	denied) echo "Error: cache initialization failed: Operation not permitted" >&2; exit 1 ;;
	syntax) echo "/dev/stdin:1:1-3: Error: syntax error, unexpected junk" >&2; exit 1 ;;
	noqueue)
		case "$input" in
		*" queue "*)
			echo "/dev/stdin:8:81-85: Error: Could not process rule: No such file or directory" >&2
			echo "$input" | grep ' queue ' >&2
			exit 1 ;;
		esac ;;
	esac
	case "$input" in
	*"table inet mut {"*) echo "table inet mut" >"$state" ;;
	*"delete table inet mut"*) : >"$state" ;;
	esac
	exit 0 ;;
esac
echo "fake nft: unexpected arguments: $*" >&2
exit 99
EOF
# iptables-nft: FAKE_XT=ok | denied. Keeps the security table as `-S` lines in
# $FAKE_STATE/xt-rules and logs every call to $FAKE_STATE/xt-calls.
cat >"$fakes/iptables-nft" <<'EOF'
#!/bin/sh
state="$FAKE_STATE/xt-rules"
touch "$state"
echo "$*" >>"$FAKE_STATE/xt-calls"
if [ "$FAKE_XT" = denied ]; then
	echo "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)" >&2
	exit 4
fi
[ "$1 $2" = "-t security" ] || { echo "fake iptables-nft: wrong table: $*" >&2; exit 99; }
shift 2
op=$1; shift
chain=${1:-}
[ $# -gt 0 ] && shift
rule="$chain $*"
case "$op" in
-S) printf '%s\n' "-P INPUT ACCEPT" "-P FORWARD ACCEPT" "-P OUTPUT ACCEPT"
	sed -n 's/^chain /-N /p' "$state"; sed -n 's/^rule /-A /p' "$state" ;;
-N) grep -qx "chain $chain" "$state" && { echo "iptables: Chain already exists." >&2; exit 1; }
	echo "chain $chain" >>"$state" ;;
-A) echo "rule $rule" >>"$state" ;;
-C) grep -qxF "rule $rule" "$state" || { echo "iptables: Bad rule." >&2; exit 1; } ;;
-D) grep -qxF "rule $rule" "$state" || { echo "iptables: Bad rule." >&2; exit 1; }
	awk -v r="rule $rule" '$0 == r && !done { done = 1; next } { print }' "$state" >"$state.new"
	mv "$state.new" "$state" ;;
-F) grep -v "^rule $chain " "$state" >"$state.new"; mv "$state.new" "$state" ;;
-X) grep -vx "chain $chain" "$state" >"$state.new"; mv "$state.new" "$state" ;;
*) echo "fake iptables-nft: unexpected $op" >&2; exit 99 ;;
esac
EOF
# ip6tables-nft: the same fake with its own state (xt6-rules, xt6-calls) and mode FAKE_XT6.
sed -e 's/xt-rules/xt6-rules/; s/xt-calls/xt6-calls/; s/"\$FAKE_XT" = denied/"\$FAKE_XT6" = denied/' \
	"$fakes/iptables-nft" >"$fakes/ip6tables-nft"
chmod +x "$fakes/nft" "$fakes/iptables-nft" "$fakes/ip6tables-nft"

reset_fakes() { # NFT_MODE XT_MODE
	export FAKE_STATE="$work/state"
	rm -rf "$FAKE_STATE"
	mkdir -p "$FAKE_STATE"
	export FAKE_NFT="$1" FAKE_XT="$2" FAKE_XT6="${3:-$2}"
}

# --- the tests, once per shell --------------------------------------------------

run_all() {
	# The defaults: one interface, queue 0.
	run --dry-run --interface lan0
	expect_status "dry run, defaults" 0
	expect_equal "dry run writes nothing on stderr" "" "$err"
	native=$(native_part "$out")
	xtables=$(xtables_part "$out")
	expect_line "interfaces define" "$native" 'define lan_interfaces = { "lan0" }'
	expect_line "queue define" "$native" 'define mut_queue = 0'
	expect_contains "table" "$native" 'table inet mut {'
	expect_contains "forward hook after the filter priority" "$native" \
		'type filter hook forward priority filter + 10; policy accept;'
	expect_contains "queue rule" "$native" \
		'oifname $lan_interfaces ip daddr 224.0.0.0/4 ip daddr != 224.0.0.0/24 counter queue num $mut_queue bypass'
	expect_contains "IPv6 queue rule: global scope, no ICMPv6" "$native" \
		'oifname $lan_interfaces ip6 daddr & ff0f:: == ff0e:: meta l4proto != ipv6-icmp counter queue num $mut_queue bypass'
	expect_absent "no fanout for one queue" "$native" 'fanout'
	expect_contains "replacing an earlier table in the same transaction" "$native" \
		'table inet mut
delete table inet mut
table inet mut {'
	expect_absent "no template comments in the applied ruleset" "$native" '#'
	expect_equal "xtables commands" \
"-t security -N MUT
-t security -A MUT -d 224.0.0.0/24 -j RETURN
-t security -A MUT -o lan0 -d 224.0.0.0/4 -j NFQUEUE --queue-num 0 --queue-bypass
-t security -A FORWARD -d 224.0.0.0/4 -j MUT" "$xtables"
	expect_contains "dry run names the xtables cleanup" "$out" \
		'iptables-nft -t security -D FORWARD -d 224.0.0.0/4 -j MUT'
	expect_equal "ip6tables commands" \
"-t security -N MUT
-t security -A MUT -p ipv6-icmp -j RETURN
-t security -A MUT -o lan0 -d ff0e::/ff0f:: -j NFQUEUE --queue-num 0 --queue-bypass
-t security -A FORWARD -d ff00::/8 -j MUT" "$(xtables6_part "$out")"
	expect_contains "dry run names the ip6tables cleanup" "$out" \
		'ip6tables-nft -t security -D FORWARD -d ff00::/8 -j MUT'

	# Two interfaces, a queue range: fanout on both backends.
	run --dry-run --interface lan0 --interface wlan0 --queue 2-5
	expect_status "dry run, range" 0
	native=$(native_part "$out")
	xtables=$(xtables_part "$out")
	expect_line "two interfaces" "$native" 'define lan_interfaces = { "lan0", "wlan0" }'
	expect_line "queue range" "$native" 'define mut_queue = 2-5'
	expect_contains "range with fanout and bypass" "$native" 'queue num $mut_queue bypass,fanout'
	expect_contains "IPv6 range with fanout and bypass" "$native" 'ipv6-icmp counter queue num $mut_queue bypass,fanout'
	expect_contains "xtables: lan0 balanced" "$xtables" \
		'-A MUT -o lan0 -d 224.0.0.0/4 -j NFQUEUE --queue-balance 2:5 --queue-bypass --queue-cpu-fanout'
	expect_contains "xtables: wlan0 balanced" "$xtables" \
		'-A MUT -o wlan0 -d 224.0.0.0/4 -j NFQUEUE --queue-balance 2:5 --queue-bypass --queue-cpu-fanout'
	return_at=$(line_number "$xtables" '-d 224.0.0.0/24 -j RETURN')
	queue_at=$(line_number "$xtables" '-j NFQUEUE')
	if [ "$return_at" -gt 0 ] && [ "$return_at" -lt "$queue_at" ]; then pass; else
		fail "224.0.0.0/24 RETURN (line $return_at) must come before NFQUEUE (line $queue_at)"
	fi

	# The other spellings; a repeated interface counts once.
	run --dry-run --interface=br-lan --queue=65535 -i br-lan
	expect_status "--opt=value forms" 0
	native=$(native_part "$out")
	expect_line "repeated interface once" "$native" 'define lan_interfaces = { "br-lan" }'
	expect_line "highest queue" "$native" 'define mut_queue = 65535'

	# Bridged mode: a bridge-family table natively; physdev rules, routed rules that skip
	# bridged packets, and br_netfilter's switches (recorded for --unload) with xtables.
	run --dry-run --interface br-lan --bridge-port wlan0 --bridge-port=wlan1 --bridge-port wlan0
	expect_status "dry run, bridge ports" 0
	native=$(native_part "$out")
	xtables=$(xtables_part "$out")
	expect_contains "bridge table replaced in the same transaction" "$native" 'table bridge mut
delete table bridge mut
table bridge mut {'
	expect_contains "bridge table: the ports, once each" "$native" \
		'oifname { "wlan0", "wlan1" } ip daddr 224.0.0.0/4 ip daddr != 224.0.0.0/24 counter queue num 0 bypass'
	expect_line "routed table still there" "$native" 'define lan_interfaces = { "br-lan" }'
	expect_equal "xtables commands with bridge ports" \
"-t security -N MUT
-t security -A MUT -d 224.0.0.0/24 -j RETURN
-t security -A MUT -o br-lan -m physdev ! --physdev-is-bridged -d 224.0.0.0/4 -j NFQUEUE --queue-num 0 --queue-bypass
-t security -A MUT -m physdev --physdev-out wlan0 --physdev-is-bridged -d 224.0.0.0/4 -j NFQUEUE --queue-num 0 --queue-bypass
-t security -A MUT -m physdev --physdev-out wlan1 --physdev-is-bridged -d 224.0.0.0/4 -j NFQUEUE --queue-num 0 --queue-bypass
-t security -A FORWARD -d 224.0.0.0/4 -j MUT" "$xtables"
	expect_contains "dry run says br_netfilter is switched and recorded" "$out" 'mut-restore PATH VALUE'
	run --dry-run --interface br-lan --bridge-port wlan0 --queue 1-2
	expect_contains "bridge table with fanout for a range" "$(native_part "$out")" 'queue num 1-2 bypass,fanout'

	run --dry-run --unload
	expect_status "--unload --dry-run needs no interface" 0
	expect_contains "--unload --dry-run: native" "$out" 'delete table inet mut'
	expect_contains "--unload --dry-run: xtables" "$out" 'iptables-nft -t security -X MUT'
	expect_absent "--unload --dry-run adds nothing" "$out" ' -A '

	# One source of truth: the text comes from the template.
	sed 's/priority filter + 10/priority filter + 20/' "$template" >"$work/edited.nft"
	run --dry-run --interface lan0 --ruleset "$work/edited.nft"
	expect_contains "the ruleset follows the template" "$out" 'priority filter + 20'
	grep -v '^define mut_queue' "$template" >"$work/broken.nft"
	run --dry-run --interface lan0 --ruleset "$work/broken.nft"
	expect_status "template without the queue define" 1
	expect_contains "template error names the define" "$err" "lacks 'define mut_queue = ...'"
	run --dry-run --interface lan0 --ruleset "$work/missing.nft"
	expect_status "missing template" 1

	run --help
	expect_status "--help" 0
	expect_contains "--help prints usage" "$out" 'usage: load --interface IFACE'

	# Usage errors: exit 2, one line on stderr naming the bad input, nothing on stdout.
	while IFS='|' read -r args message; do
		# shellcheck disable=SC2086 # the words are meant to split
		run --dry-run $args
		expect_status "args '$args'" 2
		expect_contains "args '$args': message" "$err" "$message"
		expect_equal "args '$args': one stderr line" 1 "$(printf '%s\n' "$err" | wc -l | tr -d ' ')"
		expect_equal "args '$args': nothing on stdout" "" "$out"
	done <<'EOF'
|at least one --interface is needed
--queue 3|at least one --interface is needed
--interface|--interface needs an interface name
-i lan0 --queue|--queue needs a number N or a range N-M
-i a/b|--interface: 'a/b' is not a valid interface name
-i .|--interface: '.' is not a valid interface name
-i ..|--interface: '..' is not a valid interface name
-i abcdefghijklmnop|--interface: 'abcdefghijklmnop' is not a valid interface name
-i lan"0|--interface: 'lan"0' is not a valid interface name
-i lan0 --queue abc|--queue: 'abc' is not a queue number N or a range N-M (0-65535)
-i lan0 --queue 65536|--queue: '65536' is not a queue number
-i lan0 --queue 070|--queue: '070' is not a queue number
-i lan0 --queue -1|--queue: '-1' is not a queue number
-i lan0 --queue 1-|--queue: '1-' is not a queue number
-i lan0 --queue 1-2-3|--queue: '1-2-3' is not a queue number
-i lan0 --queue 5-3|--queue: '5-3' is not a range N-M with N < M
-i lan0 --queue 3-3|--queue: '3-3' is not a range N-M with N < M
-i lan0 --bogus|unknown argument '--bogus'
--bridge-port wlan0|at least one --interface is needed
-i br-lan --bridge-port|--bridge-port needs an interface name
-i br-lan --bridge-port a/b|--bridge-port: 'a/b' is not a valid interface name
-i br-lan --bridge-port br-lan|--bridge-port: br-lan is also an --interface
EOF
	run --dry-run --interface 'lan 0'
	expect_status "interface with a space" 2
	expect_contains "interface with a space: message" "$err" "'lan 0' is not a valid interface name"

	# --- against the fakes ---

	saved_path=$PATH
	PATH="$fakes:$PATH"

	# Native queue available: the ruleset nft gets is the dry run's.
	run --dry-run --interface lan0 --queue 1
	dry_native=$(native_part "$out")
	dry_xtables=$(xtables_part "$out")
	dry_xtables6=$(xtables6_part "$out")
	reset_fakes ok ok
	run --interface lan0 --queue 1
	expect_status "native load" 0
	expect_equal "native load says so" \
		"mut rules loaded: nftables native queue, interfaces lan0, queue 1" "$out"
	expect_equal "nft got the dry-run ruleset" "$dry_native" "$(cat "$FAKE_STATE/nft-input")"
	expect_absent "no xtables rule added with the native backend" \
		"$(cat "$FAKE_STATE/xt-calls" 2>/dev/null)" ' -A '
	run --unload
	expect_equal "unload native" "mut rules unloaded: removed nftables table inet mut" "$out"
	expect_equal "native table gone" "" "$(cat "$FAKE_STATE/nft-tables")"

	# Kernel lacks nft queue: the xtables commands are the dry run's.
	reset_fakes noqueue ok
	run --interface lan0 --queue 1
	expect_status "fallback load" 0
	expect_equal "fallback load says so" \
		"mut rules loaded: xtables NFQUEUE via iptables-nft and ip6tables-nft (kernel lacks nft queue), interfaces lan0, queue 1" "$out"
	expect_equal "iptables-nft got the dry-run commands" "$dry_xtables" \
		"$(grep -e ' -N ' -e ' -A ' "$FAKE_STATE/xt-calls")"
	expect_equal "ip6tables-nft got the dry-run commands" "$dry_xtables6" \
		"$(grep -e ' -N ' -e ' -A ' "$FAKE_STATE/xt6-calls")"
	run --interface lan0 --queue 1
	expect_status "fallback load again" 0
	expect_equal "loading twice replaces: one jump, one chain, two rules" \
"chain MUT
rule MUT -d 224.0.0.0/24 -j RETURN
rule MUT -o lan0 -d 224.0.0.0/4 -j NFQUEUE --queue-num 1 --queue-bypass
rule FORWARD -d 224.0.0.0/4 -j MUT" "$(cat "$FAKE_STATE/xt-rules")"
	expect_equal "loading twice replaces the IPv6 chain too" \
"chain MUT
rule MUT -p ipv6-icmp -j RETURN
rule MUT -o lan0 -d ff0e::/ff0f:: -j NFQUEUE --queue-num 1 --queue-bypass
rule FORWARD -d ff00::/8 -j MUT" "$(cat "$FAKE_STATE/xt6-rules")"
	run --unload
	expect_status "unload xtables" 0
	expect_equal "unload xtables says so" \
		"mut rules unloaded: removed iptables-nft chain MUT (table security) and ip6tables-nft chain MUT (table security)" "$out"
	expect_equal "xtables rules gone" "" "$(cat "$FAKE_STATE/xt-rules")"
	expect_equal "ip6tables rules gone" "" "$(cat "$FAKE_STATE/xt6-rules")"

	run --unload
	expect_status "second unload" 0
	expect_equal "second unload finds nothing" "mut rules unloaded: none were loaded" "$out"
	# ip6tables-nft refuses: IPv4 is queued all the same, and the line says IPv6 is not.
	reset_fakes noqueue ok denied
	run --interface lan0
	expect_status "fallback with IPv6 refused" 0
	expect_contains "IPv6 refused: said" "$out" \
		"via iptables-nft (kernel lacks nft queue; IPv6 not queued: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id"
	expect_contains "IPv6 refused: IPv4 rules in place" "$(cat "$FAKE_STATE/xt-rules")" 'rule FORWARD -d 224.0.0.0/4 -j MUT'
	run --unload
	expect_status "unload where ip6tables-nft refuses (a kernel without IPv6)" 0
	expect_equal "unload where ip6tables-nft refuses: the IPv4 chain goes" \
		"mut rules unloaded: removed iptables-nft chain MUT (table security)" "$out"
	reset_fakes ok ok denied
	run --interface lan0
	expect_status "native load where ip6tables-nft refuses" 0

	# Native fails for another reason: the fallback gives it.
	reset_fakes syntax ok
	run --interface lan0
	expect_status "fallback after another nft error" 0
	expect_contains "fallback names the nft error" "$out" \
		"xtables NFQUEUE via iptables-nft and ip6tables-nft (native nftables failed: syntax error, unexpected junk)"

	# Neither works: exit 1 and one line naming both.
	reset_fakes noqueue denied
	run --interface lan0
	expect_status "neither backend" 1
	expect_equal "neither backend: one line" \
		"load: cannot load mut rules: nftables: Could not process rule: No such file or directory; iptables-nft: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)" \
		"$err"
	expect_equal "neither backend: nothing on stdout" "" "$out"

	reset_fakes denied denied
	run --unload
	expect_status "unload without permission" 1
	expect_contains "unload without permission: message" "$err" "Operation not permitted"

	PATH=$saved_path
}

# As on OpenWrt: busybox ash with busybox's sed, grep, awk... ahead in PATH.
applets="$work/applets"
if command -v busybox >/dev/null 2>&1 && busybox ash -c : 2>/dev/null; then
	mkdir -p "$applets"
	for applet in $(busybox --list); do
		case "$applet" in
		nft | iptables*) ;;
		*) ln -s "$(command -v busybox)" "$applets/$applet" ;;
		esac
	done
fi

shells_run=""
for candidate in sh dash bash "busybox ash" "busybox ash + applets"; do
	program=${candidate%% *}
	command -v "$program" >/dev/null 2>&1 || continue
	[ "$program" = busybox ] && [ ! -d "$applets" ] && continue
	path_prefix=""
	case "$candidate" in
	*applets) path_prefix="$applets:" ;;
	esac
	shell_command=${candidate%% +*}
	shell_name=$candidate
	run_all
	shells_run="${shells_run:+$shells_run, }$candidate"
done

echo "ruleset-test: shells: $shells_run"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
