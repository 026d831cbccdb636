#!/usr/bin/env bash
# dist/grafana-dashboard.json cannot rot: it is valid JSON with a Prometheus data source
# variable that every panel and query uses, unique panel ids, and every mut_* metric name it
# queries exists in the exposition (Tests/shell/metrics-sample-per-client.prom, which a unit
# test keeps equal to the renderer's output with every family present).
# A checker that cannot fail proves nothing: it must also reject a dashboard that queries a
# name the exposition lacks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v python3 >/dev/null || { echo "grafana-dashboard-test: SKIPPED: no python3"; exit 77; }

check() {  # DASHBOARD: exit 0 when sound, 1 with the reasons
	python3 - "$1" "$here/metrics-sample-per-client.prom" <<-'PY'
	import json, re, sys
	problems = []
	try:
	    dash = json.load(open(sys.argv[1], encoding="utf-8"))
	except ValueError as e:
	    sys.exit(f"not valid JSON: {e}")
	families = set(re.findall(r"^# TYPE (\S+) ", open(sys.argv[2], encoding="utf-8").read(), re.M))
	variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
	ds = variables.get("datasource")
	if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
	    problems.append("no Prometheus data source variable 'datasource'")
	def panels(items):
	    for p in items:
	        yield p
	        yield from panels(p.get("panels", []))
	ids, queried = set(), set()
	for p in panels(dash.get("panels", [])):
	    if p.get("id") in ids: problems.append(f"panel id {p.get('id')} repeated")
	    ids.add(p.get("id"))
	    if "gridPos" not in p: problems.append(f"panel '{p.get('title')}' has no gridPos")
	    if p.get("type") == "row": continue
	    for where in [p] + p.get("targets", []):
	        if where.get("datasource", {}).get("uid") != "${datasource}":
	            problems.append(f"panel '{p.get('title')}' does not use the $datasource variable")
	    if not p.get("targets"): problems.append(f"panel '{p.get('title')}' has no query")
	    for t in p.get("targets", []):
	        queried.update(re.findall(r"\bmut_[a-z0-9_]+", t.get("expr", "")))
	for v in variables.values():
	    q = v.get("query")
	    queried.update(re.findall(r"\bmut_[a-z0-9_]+", q.get("query", "") if isinstance(q, dict) else str(q)))
	for name in sorted(queried - families):
	    problems.append(f"queries {name}, which the exposition does not have")
	if problems:
	    print("\n".join(problems)); sys.exit(1)
	print(f"{len(ids)} panels, {len(queried)} metric names, all in the exposition")
	PY
}

status=0
dashboard="$root/dist/grafana-dashboard.json"
if out=$(check "$dashboard" 2>&1); then echo "  ok      dist/grafana-dashboard.json: $out"
else echo "  NOT OK  dist/grafana-dashboard.json: $out"; status=1; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed 's/mut_client_tx_bitrate_bits_per_second/mut_client_tx_bitrate_kbps/' "$dashboard" >"$tmp/renamed.json"
if out=$(check "$tmp/renamed.json" 2>&1); then echo "  NOT OK  a renamed metric was not noticed"; status=1
else echo "  ok      a renamed metric is reported: $out"; fi
head -c 200 "$dashboard" >"$tmp/cut.json"
if check "$tmp/cut.json" >/dev/null 2>&1; then echo "  NOT OK  truncated JSON accepted"; status=1
else echo "  ok      truncated JSON is rejected"; fi
[ $status -eq 0 ] && echo PASS || echo FAIL
exit $status
