#!/usr/bin/env bash
# tools/fd-trend (the soak's descriptor check) on made-up sample series: descriptors open for
# a moment (state file temp file, control connection) must pass however often one sample
# catches them; a descriptor that stays open after the warm-up must fail, slow or sudden.
# No root.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FD_TREND="$ROOT/tools/fd-trend"
tmp=$(mktemp -d /tmp/mut-fdtrend.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

# series NAME: 60 samples, one a second, from a python expression per second t:
# extra(t) -> list of names open besides the steady eleven.
series() {
	python3 - "$tmp/$1" "$2" <<'PY'
import random, sys
path, expr = sys.argv[1], sys.argv[2]
random.seed(7)
steady = ["/dev/null"] * 3 + ["socket"] * 6 + ["anon_inode:[eventfd]", "/tmp/mut/mutd.log"]
with open(path, "w") as f:
    for t in range(60):
        extra = eval(expr, {"t": t, "random": random})
        names = steady + extra
        f.write("%d 9000 %d %s\n" % (t, len(names), " ".join(sorted(names))))
PY
}

# expect NAME STATUS [TEXT]: fd-trend's exit status on the series, and a text in its line.
expect() {
	local name=$1 want=$2 text=${3:-} out status
	out=$(python3 "$FD_TREND" --warm-up 15 "$tmp/$name"); status=$?
	if [ "$status" = "$want" ] && { [ -z "$text" ] || [[ $out == *"$text"* ]]; }; then
		echo "  ok      $name: exit $status"
	else
		echo "  NOT OK  $name: exit $status, wanted $want${text:+ and '$text'}: $out"
		failures=$((failures + 1))
	fi
}

series steady '[]'
expect steady 0 "11/11/11"
# The state file's temp file in about half the samples, a control connection now and then,
# and both at once in the very first sample after the warm-up.
series transient '(["/tmp/mut/state.tmp"] if random.random() < 0.5 or t == 15 else []) + (["socket"] if t % 7 == 0 or t == 15 else [])'
expect transient 0 "state.tmp"
series closing '["socket"] * max(0, 3 - t // 20)'
expect closing 0
# A control connection that is never closed, from t = 40 on.
series leak-once '["socket"] if t >= 40 else []'
expect leak-once 1 "LEAK"
# One descriptor every 12 s, under transient noise.
series leak-slow '["/proc/net/netfilter/nfnetlink_queue"] * (t // 12) + (["/tmp/mut/state.tmp"] if random.random() < 0.5 else [])'
expect leak-slow 1 "LEAK"
# Leaked late in the first window: the first window's quiet count is from before it.
series leak-early '["/tmp/mut/state.tmp"] if t >= 25 else []'
expect leak-early 1 "LEAK"
python3 - "$tmp/short" <<'PY'
import sys
open(sys.argv[1], "w").write("".join("%d 9000 11\n" % t for t in range(0, 20)))
PY
expect short 2 "too few samples"

[ $failures -eq 0 ] && echo "fd-trend-test: PASS" || { echo "fd-trend-test: $failures FAILED"; exit 1; }
