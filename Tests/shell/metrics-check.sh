#!/bin/sh
# Checks a Prometheus text exposition with the reference parser (python prometheus_client).
#   Tests/shell/metrics-check.sh                      the committed sample (kept equal to the
#                                                     renderer by ControlMetricsTests)
#   Tests/shell/metrics-check.sh FILE                 a saved `mutctl metrics` output (or
#                                                     metrics-sample-per-client.prom)
#   mutctl metrics | Tests/shell/metrics-check.sh -   standard input
# Exit 0 valid, 1 invalid, 77 skipped (no python3 or prometheus_client: pip install prometheus_client).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
input=${1:-$here/metrics-sample.prom}

# Any python3 that has the parser: the one on PATH, or Debian's (python3-prometheus-client).
python=""
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import prometheus_client' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "metrics-check: SKIPPED: no python3 with prometheus_client (apt-get install python3-prometheus-client)" >&2
    exit 77
fi

if [ "$input" = "-" ]; then
    # The checker reads its program on standard input, so keep the exposition in a file.
    input=$(mktemp)
    trap 'rm -f "$input"' EXIT INT TERM
    cat >"$input"
fi

"$python" - "$input" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

ALLOWED_LABELS = {"interface", "reason", "type", "version"}
# Only the per-client families (metrics-per-client, capped in count) carry these.
CLIENT_LABELS = {"group", "client", "mac"}
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
        allowed = ALLOWED_LABELS | (CLIENT_LABELS if family.name.startswith("mut_client_") else set())
        extra = set(sample.labels) - allowed
        if extra:
            sys.exit(f"metrics-check: {sample.name} has per-object labels {sorted(extra)}")
        if family.type == "counter" and sample.value < 0:
            sys.exit(f"metrics-check: counter {sample.name} is negative")
        samples += 1
print(f"metrics-check: OK: {len(families)} families, {samples} samples parsed by prometheus_client")
PY
