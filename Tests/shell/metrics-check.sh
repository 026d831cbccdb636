#!/bin/sh
# Checks a Prometheus text exposition with the reference parser (python prometheus_client).
#   Tests/shell/metrics-check.sh                      the committed sample (kept equal to the
#                                                     renderer by ControlMetricsTests)
#   Tests/shell/metrics-check.sh FILE                 a saved `mutctl metrics` output
#   mutctl metrics | Tests/shell/metrics-check.sh -   standard input
# Exit 0 valid, 1 invalid, 77 skipped (no python3 or prometheus_client: pip install prometheus_client).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
input=${1:-$here/metrics-sample.prom}

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "metrics-check: SKIPPED: python3 with prometheus_client not available (pip install prometheus_client)" >&2
    exit 77
fi

if [ "$input" = "-" ]; then
    # The checker reads its program on standard input, so keep the exposition in a file.
    input=$(mktemp)
    trap 'rm -f "$input"' EXIT INT TERM
    cat >"$input"
fi

python3 - "$input" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

ALLOWED_LABELS = {"interface", "reason", "type", "version"}
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    sys.exit("metrics-check: exposition does not end with a newline")
families = list(text_string_to_metric_families(text))
if not families:
    sys.exit("metrics-check: no metric families")
samples = 0
for family in families:
    if not family.documentation:
        sys.exit(f"metrics-check: {family.name} has no HELP")
    if family.type not in ("counter", "gauge"):
        sys.exit(f"metrics-check: {family.name} has type {family.type}, expected counter or gauge")
    if not family.samples:
        sys.exit(f"metrics-check: {family.name} has no samples")
    for sample in family.samples:
        extra = set(sample.labels) - ALLOWED_LABELS
        if extra:
            sys.exit(f"metrics-check: {sample.name} has per-object labels {sorted(extra)}")
        if family.type == "counter" and sample.value < 0:
            sys.exit(f"metrics-check: counter {sample.name} is negative")
        samples += 1
print(f"metrics-check: OK: {len(families)} families, {samples} samples parsed by prometheus_client")
PY
