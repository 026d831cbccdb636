#!/usr/bin/env bash
# Run MUT's network-namespace tests one after another, each under a time limit.
#   Tests/netns/run.sh                 every t-*.sh here
#   Tests/netns/run.sh datapath t-failopen.sh   only those (name, t-name or file)
# Environment: MUT_BIN_DIR (mutd, mutctl; default .build/debug), MUT_TRANSLATOR
# (mutd | refmut), MUT_TEST_TIMEOUT (seconds per test, default 120),
# MUT_TEST_LOGS (keep each test's output there).
# Last line: "N passed, N failed, N skipped"; exit 1 if any failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LIMIT=${MUT_TEST_TIMEOUT:-120}

tests=()
if [ $# -eq 0 ]; then
	for t in "$HERE"/t-*.sh; do [ -e "$t" ] && tests+=("$t"); done
else
	for name in "$@"; do
		name=$(basename "$name" .sh); name=${name#t-}
		[ -f "$HERE/t-$name.sh" ] || { echo "run.sh: no test t-$name.sh in $HERE" >&2; exit 2; }
		tests+=("$HERE/t-$name.sh")
	done
fi

passed=0 failed=0 skipped=0 failed_names=()

if [ "$(id -u)" -ne 0 ]; then
	echo "################################################################"
	echo "## SKIPPED: the network-namespace suite (${#tests[@]} tests) needs root"
	echo "## (ip netns, veth, NFQUEUE, AF_PACKET). Run it as root:"
	echo "##   sudo Tests/netns/run.sh"
	echo "################################################################"
	echo "0 passed, 0 failed, ${#tests[@]} skipped"
	exit 0
fi

logs=${MUT_TEST_LOGS:-}
[ -n "$logs" ] && mkdir -p "$logs"

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "=== $name"
	start=$(date +%s)
	if [ -n "$logs" ]; then
		timeout --kill-after=10 "$LIMIT" bash "$t" 2>&1 | tee "$logs/$name.log" | sed 's/^/    /'
		status=${PIPESTATUS[0]}
	else
		timeout --kill-after=10 "$LIMIT" bash "$t" 2>&1 | sed 's/^/    /'
		status=${PIPESTATUS[0]}
	fi
	took=$(( $(date +%s) - start ))
	case $status in
	0)   echo "PASS $name (${took}s)"; passed=$((passed + 1)) ;;
	77)  echo "SKIP $name"; skipped=$((skipped + 1)) ;;
	124|137) echo "FAIL $name (timed out after ${LIMIT}s)"; failed=$((failed + 1)); failed_names+=("$name") ;;
	*)   echo "FAIL $name (exit $status, ${took}s)"; failed=$((failed + 1)); failed_names+=("$name") ;;
	esac
done

[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
