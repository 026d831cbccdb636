#!/bin/bash
# Bench smoke for CI: a few seconds, 2 clients x 1 stream x 1000 pps, plain
# routing, mutd, the C baseline refmut and the kernel bridge's mcast_to_unicast; the same
# load over IPv6 for plain routing and mutd (2x1x1000v6).
# Checks delivery counts and the report's format, never timings.
#
#   tools/bench/smoke.sh     (root; MUT_BIN_DIR defaults to .build/release, then .build/debug)
# Exit: 0 pass, 1 fail, 77 skip.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
if [ -z "${MUT_BIN_DIR:-}" ]; then
	MUT_BIN_DIR=$REPO/.build/release
	[ -x "$MUT_BIN_DIR/mutd" ] || MUT_BIN_DIR=$REPO/.build/debug
fi
export MUT_BIN_DIR
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
OUT=$(mktemp -d /tmp/mut-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

bash "$BENCH_DIR/run.sh" --smoke --out "$OUT"
status=$?
[ $status -eq 77 ] && exit 77
[ $status -eq 0 ] || { echo "FAIL: run.sh --smoke exited $status"; exit 1; }

python3 - "$OUT" <<'PY'
import json, os, re, sys
out = sys.argv[1]
failures = []
def check(what, ok):
    print("  %-7s %s" % ("ok" if ok else "NOT OK", what))
    if not ok:
        failures.append(what)

report = json.load(open(os.path.join(out, "results.json")))
points = {p["translator"]: p for p in report["points"] if p["scenario"] == "2x1x1000"}
check("results.json has plain, mutd, refmut and bridge points", set(points) == {"plain", "mutd", "refmut", "bridge"})
points6 = {p["translator"]: p for p in report["points"] if p["scenario"] == "2x1x1000v6"}
check("results.json has IPv6 plain and mutd points", set(points6) == {"plain", "mutd"})
check("every point is one of the two scenarios", len(report["points"]) == len(points) + len(points6))
keys = ["scenario", "copies_per_second", "loss", "untranslated", "duplicates", "reordered",
        "latency_p50_us", "latency_p99_us", "latency_max_us", "cpu_us_per_copy", "path_us_per_copy", "rss_mib",
        "delivered_copies", "expected_copies", "frames_to_own_mac", "frames_to_group_mac"]
for kind, p in sorted(points.items()):
    check("%s: every report field present" % kind, all(k in p for k in keys))
    check("%s: scenario 2x1x1000" % kind, p["scenario"] == "2x1x1000")
    check("%s: 2 sinks reported" % kind, p["clients"] == 2 and p["missing_sinks"] == 0)
    check("%s: sender sent 2,000 packets" % kind, p["sent"] == 2000)
    check("%s: every copy delivered once (%d of %d)" % (kind, p["delivered_copies"], p["expected_copies"]),
          p["delivered_copies"] == p["expected_copies"] == 4000 and p["duplicates"] == 0)
    if kind == "plain":
        check("plain: every frame to the group MAC", p["frames_to_group_mac"] == 4000 and p["frames_to_own_mac"] == 0)
    else:
        check("%s: every frame to the client's own MAC" % kind, p["frames_to_own_mac"] == 4000 and p["frames_to_group_mac"] == 0)
        if kind == "bridge":
            check("bridge: no process, so no process CPU or RSS", p["cpu_us_per_copy"] is None and p["rss_mib"] is None)
        else:
            check("%s: CPU and RSS measured" % kind, p["cpu_us_per_copy"] is not None and p["rss_mib"] > 0)
    check("%s: path CPU measured (sender + translator + softirq)" % kind,
          p["path_us_per_copy"] is not None and p["path_us_per_copy"] > 0)
    check("%s: sender-bound verdict reported" % kind, isinstance(p["sender_bound"], bool))
    check("%s: arrival latency measured and ordered" % kind,
          p["arrival_p50_us"] is not None and p["arrival_p50_us"] <= p["arrival_p99_us"])
    check("%s: latency percentiles ordered" % kind,
          p["latency_p50_us"] is not None and p["latency_p50_us"] <= p["latency_p99_us"] <= p["latency_max_us"] + 1)
for kind, p in sorted(points6.items()):
    check("IPv6 %s: every report field present" % kind, all(k in p for k in keys) and p["family"] == 6)
    check("IPv6 %s: sender sent 2,000 packets" % kind, p["sent"] == 2000)
    check("IPv6 %s: every copy delivered once (%d of %d)" % (kind, p["delivered_copies"], p["expected_copies"]),
          p["delivered_copies"] == p["expected_copies"] == 4000 and p["duplicates"] == 0)
    if kind == "plain":
        check("IPv6 plain: every frame to the group MAC", p["frames_to_group_mac"] == 4000 and p["frames_to_own_mac"] == 0)
    else:
        check("IPv6 mutd: every frame to the client's own MAC", p["frames_to_own_mac"] == 4000 and p["frames_to_group_mac"] == 0)
        check("IPv6 mutd: CPU measured", p["cpu_us_per_copy"] is not None and p["rss_mib"] > 0)
text = open(os.path.join(out, "results.txt")).read()
check("results.txt has the table header", re.search(r"^scenario\s+transl\s+copies/s\s+loss%", text, re.M) is not None)
fixed_table = text.split("Fixed scenarios", 1)[-1].split("\n\n", 1)[0]
check("results.txt has one row per translator",
      len(re.findall(r"^2x1x1000\s+(plain|mutd|refmut|bridge)\s+\d+", fixed_table, re.M)) == len(points) == 4)
check("results.txt has the path CPU column", re.search(r"us/copy\s+path\s+RSSMiB", text) is not None)
ratio_rows = re.findall(r"^2x1x1000 (p99|path CPU/copy)\s+([\d.]+|-)\s+([\d.]+|-)$", text, re.M)
check("results.txt has mutd's ratios to refmut and to the bridge", "/refmut" in text and "/bridge" in text
      and len(ratio_rows) == 2 and all(r[1] != "-" and r[2] != "-" for r in ratio_rows))
check("results.txt has the arrival-latency table", "Latency to the client's interface" in text)
check("results.txt has IPv6 beside IPv4 for plain and mutd",
      len(re.findall(r"^2x1x1000\s+(plain|mutd)\s+\d+\s+\d+\s+[\d.]+", text.split("IPv6 beside IPv4", 1)[-1].split("\n\n", 1)[0], re.M)) == 2)
check("goals compare mutd's IPv6 with its IPv4", any("IPv6 copies/s" in g["goal"] for g in report["goals"]))
if "refmut" in points:
    check("goals listed when refmut ran", "Goals" in text and len(report["goals"]) >= 2)
sys.exit(1 if failures else 0)
PY
status=$?
[ $status -eq 0 ] && echo PASS || echo "FAIL: bench smoke"
exit $status
