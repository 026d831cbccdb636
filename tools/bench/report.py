#!/usr/bin/env python3
"""Turns the benchmark's raw points (one JSON per measurement, written by run.sh)
into results.txt, results.json and bench.png.

  report.py --summary POINT.json          one line for the console
  report.py --verdict POINT.json          the point's loss fraction, 1 if sender-bound, copies/s
  report.py --out DIR [--machine TEXT] [--note TEXT] [--extra FILE.json] POINT.json...
"""
import argparse
import json
import os
import re
import sys

FIXED = ["2x1x1000", "8x4x1000", "32x4x1000", "8x4x1000v6"]
# IPv6 against IPv4 at the same load: IPv6's copies/s at least this share of IPv4's, and its
# CPU per copy at most IPv4's divided by it (docs/performance.md).
IPV6_SHARE = 0.9
ZERO_LOSS = 0.0
ADDED_FLOOR_US = 10
# The sender paces by absolute deadlines and catches up in bursts: it took this much longer
# than planned only when it could not keep the pace at all.
SENDER_BOUND_SLACK = 1.05
TRANSLATORS = ("plain", "mutd", "refmut", "bridge")
BOUND_WORDS = {"translator": "translator-bound", "sender": "sender-bound", "rates exhausted": "not bound (rate list exhausted)"}


def percentile(histogram, fraction):
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    rank = min(int(fraction * total), total - 1)
    seen = 0
    for value, count in histogram:
        seen += count
        if seen > rank:
            return value
    return histogram[-1][0]


def merge_histograms(sinks, key):
    merged = {}
    for sink in sinks:
        for value, count in sink.get(key, []):
            merged[value] = merged.get(value, 0) + count
    return sorted(merged.items())


def measure(raw):
    """The figures of one point."""
    sinks = [s for s in raw["sinks"] if s]
    sent = sum(raw["sender"]["sent"])
    expected = sent * raw["clients"]
    delivered = sum(s["unique"] for s in sinks)
    histogram = merge_histograms(sinks, "histogram_us")
    # When the frame reached the client's interface (kernel timestamp), not when the sink read it.
    arrival = merge_histograms(sinks, "arrival_histogram_us")
    seconds = raw["sender"]["seconds"] or 1.0
    # schedstat nanoseconds when present; /proc/PID/stat ticks (10 ms) otherwise.
    cpu_seconds = raw["cpu_ns"] / 1e9 if raw.get("cpu_ns") else raw["cpu_ticks"] / raw["clock_ticks_per_second"]
    translated = raw["translator"] != "plain"
    process = translated and raw["translator"] != "bridge"   # the bridge's copies are kernel work
    # Path CPU: sender + translator (process) + softirq threads (+ the softirq column where the
    # kernel accounts softirq apart from tasks). The sinks' own work is left out: alike for all.
    sender_ns = raw["sender"].get("cpu_ns")
    path_ns = None
    if sender_ns is not None and "ksoftirqd_ns" in raw:
        path_ns = sender_ns + raw.get("ksoftirqd_ns", 0) + (raw.get("cpu_ns", 0) if process else 0)
        if raw.get("irq_time_accounting"):
            path_ns += raw.get("softirq_stat_ns", 0)
    planned = raw.get("duration")
    own = sum(s["to_own_mac"] for s in sinks)
    group = sum(s["to_group_mac"] for s in sinks)
    # A translator's work is the unicast copies; multicast frames reaching a client while
    # a translator runs are originals the queue let through (fail-open when full).
    useful = min(delivered, own) if translated else delivered
    return {
        "name": raw["name"],
        "translator": raw["translator"],
        "family": raw.get("family", 4),
        "queues": raw["queues"],
        "clients": raw["clients"],
        "streams": raw["streams"],
        "rate_per_stream": raw["rate"],
        "scenario": "%dx%dx%d%s" % (raw["clients"], raw["streams"], raw["rate"], "v6" if raw.get("family") == 6 else ""),
        "sent": sent,
        "expected_copies": expected,
        "delivered_copies": delivered,
        "missing_sinks": len(raw["sinks"]) - len(sinks),
        "copies_per_second": useful / seconds,
        "loss": (1.0 - delivered / expected) if expected else 1.0,
        "untranslated": (group / expected) if translated and expected else 0.0,
        "duplicates": sum(s["duplicates"] for s in sinks),
        "reordered": sum(s["reordered"] for s in sinks),
        "frames_to_own_mac": own,
        "frames_to_group_mac": group,
        "frames_to_other_mac": sum(s["to_other_mac"] for s in sinks),
        "latency_p50_us": percentile(histogram, 0.50),
        "latency_p99_us": percentile(histogram, 0.99),
        "latency_max_us": max((s["latency_us"]["max"] for s in sinks), default=None),
        "arrival_p50_us": percentile(arrival, 0.50),
        "arrival_p99_us": percentile(arrival, 0.99),
        "cpu_seconds": cpu_seconds if process else None,
        "cpu_us_per_copy": (cpu_seconds * 1e6 / delivered) if process and delivered else None,
        "path_cpu_seconds": path_ns / 1e9 if path_ns is not None else None,
        "path_us_per_copy": (path_ns / 1e3 / delivered) if path_ns is not None and delivered else None,
        "sender_bound": bool(planned) and seconds > float(planned) * SENDER_BOUND_SLACK,
        "rss_mib": (raw["rss_kib"] / 1024.0) if process else None,
        # Share of the translator's CPU spent in user space, from /proc/PID/stat: the kernel
        # splits utime/stime by 10 ms samples, so over a few seconds this is rough (JSON only;
        # `perf record` is the tool for the split).
        "cpu_user_share": (raw.get("cpu_user_ticks", 0) / raw["cpu_ticks"]) if process and raw["cpu_ticks"] else None,
        "seconds": seconds,
    }


def load(path):
    with open(path) as f:
        return json.load(f)


REPETITION = re.compile(r"-r\d+$")


def pool(raws):
    """One raw point from the repetitions of one (translator, scenario): counts and CPU time
    add up, the sinks of every repetition are pooled (so p99 is over every copy of every
    repetition), RSS is the largest seen. A single p99 over 5 s on a 2-core machine is mostly
    the scheduler's luck; pooling interleaved repetitions is what makes two translators
    comparable (docs/performance.md)."""
    first = raws[0]
    pooled = dict(first)
    pooled["name"] = REPETITION.sub("", first["name"])
    pooled["sender"] = {"sent": [sum(sum(r["sender"]["sent"]) for r in raws)],
                        "seconds": sum(r["sender"]["seconds"] or 0 for r in raws)}
    pooled["sinks"] = [s for r in raws for s in r["sinks"]]
    for key in ("cpu_ticks", "cpu_user_ticks", "cpu_ns", "ksoftirqd_ns", "softirq_stat_ns"):
        pooled[key] = sum(r.get(key, 0) for r in raws)
    if all("cpu_ns" in r["sender"] for r in raws):
        pooled["sender"]["cpu_ns"] = sum(r["sender"]["cpu_ns"] for r in raws)
    if all(r.get("duration") for r in raws):
        pooled["duration"] = sum(float(r["duration"]) for r in raws)
    pooled["rss_kib"] = max(r["rss_kib"] for r in raws)
    return pooled


def pooled_points(raws):
    """One point per fixed scenario and translator (its repetitions pooled) and per saturation
    step (measured once); each lists its repetitions' own p99 (the run-to-run spread)."""
    groups = {}
    for raw in raws:
        groups.setdefault(REPETITION.sub("", raw["name"]), []).append(raw)
    points = []
    for members in groups.values():
        point = measure(pool(members))
        point["repetitions"] = len(members)
        point["latency_p99_us_runs"] = [measure(r)["latency_p99_us"] for r in members]
        points.append(point)
    return points


def shortfall(p):
    """What the saturation search limits: copies lost plus originals let through untranslated."""
    return p["loss"] + p["untranslated"]


def sender_limited(good):
    """The search's end was the sender's (run.sh's rule): at the highest lossless step the sender
    fell behind its pace and delivered no more than 5 % over the best of the steps below."""
    if not good:
        return False
    steps = sorted(good, key=lambda p: p["rate_per_stream"])
    before = max((p["copies_per_second"] for p in steps[:-1]), default=0)
    return steps[-1]["sender_bound"] and steps[-1]["copies_per_second"] <= before * 1.05


def fmt(value, spec="%.1f"):
    return "-" if value is None else spec % value


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def build(points, extra):
    fixed = [p for p in points if not p["name"].startswith("sat-")]
    sat = [p for p in points if p["name"].startswith("sat-")]
    plain = {p["scenario"]: p for p in fixed if p["translator"] == "plain"}
    for p in fixed:
        base = plain.get(p["scenario"])
        for field, added in (("latency_p50_us", "added_p50_us"), ("latency_p99_us", "added_p99_us"),
                             ("arrival_p50_us", "added_arrival_p50_us"), ("arrival_p99_us", "added_arrival_p99_us")):
            mine = p[field]
            ref = base and base[field]
            p[added] = (mine - ref) if mine is not None and ref is not None else None

    saturation = {}
    for p in sat:
        key = "%s q%s" % (p["translator"], p["queues"])
        entry = saturation.setdefault(key, {"translator": p["translator"], "queues": p["queues"], "steps": []})
        entry["steps"].append(p)
    for entry in saturation.values():
        entry["steps"].sort(key=lambda p: p["rate_per_stream"])
        good = [p for p in entry["steps"] if shortfall(p) <= 0.001]
        best = max(good, key=lambda p: p["copies_per_second"]) if good else None
        entry["best"] = best and {k: best[k] for k in ("rate_per_stream", "copies_per_second", "loss", "cpu_us_per_copy",
                                                          "path_us_per_copy", "latency_p99_us", "sender_bound")}
        entry["saturated"] = any(shortfall(p) > 0.001 for p in entry["steps"])
        # What stopped the search: the translator losing copies, the sender falling behind its
        # pace with nothing lost, or the end of the rate list.
        entry["bound"] = ("translator" if entry["saturated"] else "sender" if sender_limited(good) else "rates exhausted")
        entry["lossless"] = {p["rate_per_stream"]: p for p in good}
        entry["steps"] = [p["name"] for p in entry["steps"]]

    goals = judge(fixed, saturation) + judge_ipv6(fixed)
    for item in extra.get("goals", []):
        goals.append(item)
    return fixed, saturation, goals


def floored(added):
    """An added p99 under ADDED_FLOOR_US (or below zero: a translator can beat plain routing,
    whose flooding wakes every sink at once) counts as ADDED_FLOOR_US: the ratio of two
    near-zero differences says nothing."""
    return max(added, ADDED_FLOOR_US)


def common_path_cpu(saturation, mine, peer):
    """Path CPU per copy of two saturation candidates at the highest rate both passed without
    loss: per-copy costs fall as batches grow, so they are compared at one rate."""
    a, b = saturation.get(mine), saturation.get(peer)
    if not a or not b:
        return None
    rates = sorted(set(a["lossless"]) & set(b["lossless"]))
    for rate in reversed(rates):
        x, y = a["lossless"][rate]["path_us_per_copy"], b["lossless"][rate]["path_us_per_copy"]
        if x and y:
            return rate, x, y
    return None


def judge(fixed, saturation):
    """The goals of docs/performance.md, each with its ratio."""
    goals = []
    by = {(p["translator"], p["scenario"]): p for p in fixed}
    mut_sat = saturation.get("mutd q0", {}).get("best")
    ref_sat = saturation.get("refmut q0", {}).get("best")
    bridge = saturation.get("bridge q0", {})
    if mut_sat and ref_sat:
        r = ratio(mut_sat["copies_per_second"], ref_sat["copies_per_second"])
        goals.append({"goal": "saturation copies/s >= 1.0 x refmut", "ratio": r, "met": r >= 1.0,
                      "detail": "mutd %.0f vs refmut %.0f copies/s%s" % (
                          mut_sat["copies_per_second"], ref_sat["copies_per_second"],
                          " (refmut sender-bound)" if saturation["refmut q0"]["bound"] == "sender" else "")})
    if mut_sat and bridge.get("best"):
        r = ratio(mut_sat["copies_per_second"], bridge["best"]["copies_per_second"])
        detail = "mutd %.0f vs bridge %.0f copies/s (bridge %s)" % (
            mut_sat["copies_per_second"], bridge["best"]["copies_per_second"], BOUND_WORDS[bridge["bound"]])
        goal = {"goal": "saturation copies/s >= 0.8 x kernel bridge", "ratio": r, "met": r >= 0.8, "detail": detail}
        if r < 0.8 and bridge["bound"] == "sender":
            # The bridge's limit is the sender's: what compares is the CPU the path spends per copy.
            cpu = common_path_cpu(saturation, "mutd q0", "bridge q0")
            if cpu:
                rate, mine, theirs = cpu
                goal = {"goal": "path CPU/copy <= 1.25 x bridge (bridge sender-bound)", "ratio": mine / theirs,
                        "met": mine / theirs <= 1.25,
                        "detail": "at %d pps/stream: mutd %.2f vs bridge %.2f us/copy; %s" % (rate, mine, theirs, detail)}
        goals.append(goal)
    zero, worst, details = [], None, []
    for s in FIXED:
        m, r = by.get(("mutd", s)), by.get(("refmut", s))
        if not (m and r) or r["loss"] > ZERO_LOSS:
            continue
        zero.append((s, m["loss"]))
        if m["added_p99_us"] is None or r["added_p99_us"] is None:
            continue
        q = floored(m["added_p99_us"]) / floored(r["added_p99_us"])
        details.append("%s %+d/%+d us" % (s, m["added_p99_us"], r["added_p99_us"]))
        worst = q if worst is None else max(worst, q)
    if any(by.get(("mutd", s)) and by.get(("refmut", s)) for s in FIXED):
        goals.append({"goal": "zero loss wherever refmut has zero loss", "ratio": None,
                      "met": bool(zero) and all(loss <= ZERO_LOSS for _, loss in zero),
                      "detail": ", ".join("%s mutd loss %.4f%%" % (s, 100 * l) for s, l in zero) or "refmut lost packets everywhere"})
    if worst is not None:
        goals.append({"goal": "added p99 <= refmut's where refmut loses nothing (worst)", "ratio": worst, "met": worst <= 1.0,
                      "detail": "mutd/refmut added p99: " + ", ".join(details)})
    return goals


def ipv6_rows(fixed):
    """Each IPv6 point beside the IPv4 point of its translator at the same load: rows of
    (scenario, translator, IPv4 point, IPv6 point, copies/s v6/v4, CPU/copy v6/v4, path v6/v4)."""
    by = {(p["translator"], p["scenario"]): p for p in fixed}
    rows = []
    for v6 in sorted((p for p in fixed if p["family"] == 6), key=table_order):
        v4 = by.get((v6["translator"], v6["scenario"][:-2]))
        if v4:
            rows.append((v4["scenario"], v6["translator"], v4, v6,
                         ratio(v6["copies_per_second"], v4["copies_per_second"]),
                         ratio(v6["cpu_us_per_copy"], v4["cpu_us_per_copy"]),
                         ratio(v6["path_us_per_copy"], v4["path_us_per_copy"])))
    return rows


def judge_ipv6(fixed):
    """mutd over IPv6 against mutd over IPv4 at the same load (issue 15's bar)."""
    goals = []
    for scenario, kind, v4, v6, copies, cpu, path in ipv6_rows(fixed):
        if kind != "mutd" or copies is None:
            continue
        goals.append({"goal": "IPv6 copies/s >= %.1f x IPv4 (mutd, %s)" % (IPV6_SHARE, scenario), "ratio": copies,
                      "met": copies >= IPV6_SHARE, "detail": "%.0f vs %.0f copies/s, loss %.4f%% vs %.4f%%" % (
                          v6["copies_per_second"], v4["copies_per_second"], 100 * v6["loss"], 100 * v4["loss"])})
        if cpu is not None:
            goals.append({"goal": "IPv6 CPU/copy <= IPv4's / %.1f (mutd, %s)" % (IPV6_SHARE, scenario), "ratio": cpu,
                          "met": cpu <= 1 / IPV6_SHARE, "detail": "%.2f vs %.2f us/copy (path %.2f vs %.2f)" % (
                              v6["cpu_us_per_copy"], v4["cpu_us_per_copy"],
                              v6["path_us_per_copy"] or 0, v4["path_us_per_copy"] or 0)})
    return goals


def ratios(fixed, saturation):
    """mutd's figures divided by each peer's: rows of (what, vs refmut, vs bridge)."""
    by = {(p["translator"], p["scenario"]): p for p in fixed}
    rows = []
    for s in FIXED:
        m = by.get(("mutd", s))
        if not m:
            continue
        def q(field, peer, transform=lambda v: v):
            o = by.get((peer, s))
            return ratio(transform(m[field]) if m[field] is not None else None,
                         transform(o[field]) if o and o[field] is not None else None)
        # The read-latency p99 itself: the bridge adds next to nothing over plain routing, so a
        # quotient of added latencies would divide by the 10 us floor.
        rows.append(("%s p99" % s, q("latency_p99_us", "refmut"), q("latency_p99_us", "bridge")))
        rows.append(("%s path CPU/copy" % s, q("path_us_per_copy", "refmut"), q("path_us_per_copy", "bridge")))
        rows.append(("%s loss (mutd %.4f%%)" % (s, 100 * m["loss"]), None, None))
    mut = saturation.get("mutd q0", {}).get("best")
    if mut:
        row = ["saturation copies/s"]
        for peer in ("refmut q0", "bridge q0"):
            best = saturation.get(peer, {}).get("best")
            row.append(ratio(mut["copies_per_second"], best["copies_per_second"]) if best else None)
        rows.append(tuple(row))
        row = ["path CPU/copy at a common rate"]
        for peer in ("refmut q0", "bridge q0"):
            cpu = common_path_cpu(saturation, "mutd q0", peer)
            row.append(cpu[1] / cpu[2] if cpu else None)
        rows.append(tuple(row))
    return [r for r in rows if r[1] is not None or r[2] is not None]


TRANSLATOR_ORDER = {k: i for i, k in enumerate(TRANSLATORS)}


def table_order(p):
    """Rows by scenario as listed in FIXED, then plain, mutd, refmut, bridge."""
    return (FIXED.index(p["scenario"]) if p["scenario"] in FIXED else 9, TRANSLATOR_ORDER.get(p["translator"], 9))


def text_report(fixed, saturation, goals, machine, note, extra):
    lines = ["MUT benchmark  (%s)" % machine, ""]
    if note:
        lines += ["NOTE: " + note, ""]
    head = "%-10s %-7s %9s %8s %7s %5s %5s %6s %6s %7s %8s %8s %7s %7s %6s %10s" % (
        "scenario", "transl", "copies/s", "loss%", "fopen%", "dup", "reord", "p50us", "p99us", "maxus",
        "+p50us", "+p99us", "us/copy", "path", "RSSMiB", "uni/multi")
    reps = max((p.get("repetitions", 1) for p in fixed), default=1)
    lines += ["Fixed scenarios (clients x streams x pps per stream%s)" % (
        ", %d interleaved repetitions pooled" % reps if reps > 1 else ""), head, "-" * len(head)]
    for p in sorted(fixed, key=table_order):
        lines.append("%-10s %-7s %9.0f %8.4f %7.4f %5d %5d %6s %6s %7s %8s %8s %7s %7s %6s %10s" % (
            p["scenario"], p["translator"], p["copies_per_second"], 100 * p["loss"], 100 * p["untranslated"],
            p["duplicates"], p["reordered"],
            fmt(p["latency_p50_us"], "%d"), fmt(p["latency_p99_us"], "%d"), fmt(p["latency_max_us"], "%.0f"),
            fmt(p.get("added_p50_us"), "%+d"), fmt(p.get("added_p99_us"), "%+d"),
            fmt(p["cpu_us_per_copy"], "%.2f"), fmt(p["path_us_per_copy"], "%.2f"), fmt(p["rss_mib"], "%.1f"),
            "%d/%d" % (p["frames_to_own_mac"], p["frames_to_group_mac"])))
    if saturation:
        lines += ["", "Saturation: 8 clients x 4 streams, rate raised until loss + fail-open > 0.1 % (translator-bound)",
                  "or until the sender cannot keep the pace (sender-bound); best lossless point",
                  "%-12s %12s %12s %10s %10s %8s %s" % ("translator", "pps/stream", "copies/s", "us/copy", "path", "p99us", "bound")]
        for key in sorted(saturation, key=lambda k: (TRANSLATOR_ORDER.get(saturation[k]["translator"], 9), k)):
            e = saturation[key]
            b = e["best"]
            if b:
                lines.append("%-12s %12d %12.0f %10s %10s %8s %s" % (key, b["rate_per_stream"], b["copies_per_second"],
                             fmt(b["cpu_us_per_copy"], "%.2f"), fmt(b["path_us_per_copy"], "%.2f"), fmt(b["latency_p99_us"], "%d"),
                             BOUND_WORDS[e["bound"]]))
            else:
                lines.append("%-12s %12s %12s %10s %10s %8s %s" % (key, "-", "-", "-", "-", "-", "loss > 0.1 % at the lowest rate"))
    rows = ratios(fixed, saturation)
    if rows:
        lines += ["", "mutd / peer (below 1 is better for p99 and path CPU, above 1 for copies/s)",
                  "%-36s %10s %10s" % ("figure", "/refmut", "/bridge")]
        for what, to_ref, to_bridge in rows:
            lines.append("%-36s %10s %10s" % (what, fmt(to_ref, "%.2f"), fmt(to_bridge, "%.2f")))
    rows = ipv6_rows(fixed)
    if rows:
        lines += ["", "IPv6 beside IPv4 at the same load (v6/v4: copies/s, above %.1f is the goal; CPU per copy, below %.2f)" % (
                  IPV6_SHARE, 1 / IPV6_SHARE),
                  "%-10s %-7s %9s %9s %6s %8s %8s %6s %7s %7s %6s" % (
                      "scenario", "transl", "v4 cp/s", "v6 cp/s", "ratio", "v4 us/cp", "v6 us/cp", "ratio", "v4 path", "v6 path", "ratio")]
        for scenario, kind, v4, v6, copies, cpu, path in rows:
            lines.append("%-10s %-7s %9.0f %9.0f %6s %8s %8s %6s %7s %7s %6s" % (
                scenario, kind, v4["copies_per_second"], v6["copies_per_second"], fmt(copies, "%.3f"),
                fmt(v4["cpu_us_per_copy"], "%.2f"), fmt(v6["cpu_us_per_copy"], "%.2f"), fmt(cpu, "%.2f"),
                fmt(v4["path_us_per_copy"], "%.2f"), fmt(v6["path_us_per_copy"], "%.2f"), fmt(path, "%.2f")))
    arrived = [p for p in fixed if p["arrival_p99_us"] is not None]
    if arrived:
        lines += ["", "Latency to the client's interface (kernel receive timestamp: without the sink's own wake-up)",
                  "%-10s %-7s %7s %7s %8s %8s" % ("scenario", "transl", "p50us", "p99us", "+p50us", "+p99us")]
        for p in sorted(arrived, key=table_order):
            lines.append("%-10s %-7s %7s %7s %8s %8s" % (p["scenario"], p["translator"], fmt(p["arrival_p50_us"], "%d"),
                         fmt(p["arrival_p99_us"], "%d"), fmt(p.get("added_arrival_p50_us"), "%+d"), fmt(p.get("added_arrival_p99_us"), "%+d")))
    spread = [p for p in fixed if len(p.get("latency_p99_us_runs", [])) > 1]
    if spread:
        lines += ["", "p99 of each repetition (us; the table pools them)"]
        for p in sorted(spread, key=table_order):
            lines.append("%-10s %-7s %s" % (p["scenario"], p["translator"], " ".join(fmt(v, "%d") for v in p["latency_p99_us_runs"])))
    for key, value in extra.get("facts", {}).items():
        lines.append("%s: %s" % (key, value))
    if goals:
        lines += ["", "Goals"]
        for g in goals:
            lines.append("  %-7s %-55s %s  %s" % ("MET" if g["met"] else "NOT MET", g["goal"],
                                                 "" if g["ratio"] is None else "ratio %.2f" % g["ratio"], g["detail"]))
    return "\n".join(lines) + "\n"


def plot(fixed, saturation, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    kinds = [k for k in TRANSLATORS if any(p["translator"] == k for p in fixed)]
    scenarios = [s for s in FIXED if any(p["scenario"] == s for p in fixed)]
    labels = scenarios + ["sat (8 clients)"]
    fig, (top, bottom, third) = plt.subplots(3, 1, figsize=(7.5, 8), dpi=80)
    width = 0.8 / max(1, len(kinds))
    for k_index, kind in enumerate(kinds):
        copies, p99 = [], []
        for s in scenarios:
            p = next((p for p in fixed if p["translator"] == kind and p["scenario"] == s), None)
            copies.append(p["copies_per_second"] if p else 0)
            p99.append(p["latency_p99_us"] if p and p["latency_p99_us"] is not None else 0)
        best = saturation.get("%s q0" % kind, {}).get("best")
        # No bar where there is no point (plain routing has no saturation search).
        copies.append(best["copies_per_second"] if best else float("nan"))
        p99.append(best["latency_p99_us"] if best and best["latency_p99_us"] is not None else float("nan"))
        p99 = [max(1, v) if v == v else v for v in p99]
        xs = [i + k_index * width for i in range(len(labels))]
        top.bar(xs, copies, width, label=kind)
        bottom.bar(xs, p99, width, label=kind)
    for axis, title in ((top, "delivered copies/s"), (bottom, "one-way latency p99 (us)")):
        axis.set_xticks([i + width * (len(kinds) - 1) / 2 for i in range(len(labels))])
        axis.set_xticklabels(labels)
        axis.set_ylabel(title)
        axis.legend(fontsize=8)
    bottom.set_yscale("log")  # from tens of us idle to seconds when a translator falls behind
    top.set_title("MUT benchmark: scenario = clients x streams x pps/stream")
    # mutd divided by each peer, one bar pair per figure; the line at 1 is parity.
    rows = ratios(fixed, saturation)
    if rows:
        names = [r[0].replace(" path CPU/copy", "\npath CPU").replace(" p99", "\np99")
                 .replace("saturation copies/s", "saturation\ncopies/s").replace("path CPU/copy at a common rate", "sat path\nCPU/copy")
                 for r in rows]
        xs = list(range(len(rows)))
        for offset, column, label in ((-0.2, 1, "mutd / refmut"), (0.2, 2, "mutd / bridge")):
            third.bar([x + offset for x in xs], [r[column] if r[column] is not None else float("nan") for r in rows], 0.4, label=label)
        third.axhline(1.0, color="black", linewidth=0.8)
        third.set_xticks(xs)
        third.set_xticklabels(names, fontsize=7)
        third.set_ylabel("ratio")
        third.set_yscale("log")
        third.legend(fontsize=8)
    else:
        third.set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary")
    parser.add_argument("--verdict")
    parser.add_argument("--out")
    parser.add_argument("--machine", default="")
    parser.add_argument("--note", default="")
    parser.add_argument("--extra")
    parser.add_argument("points", nargs="*")
    args = parser.parse_args()
    if args.verdict:
        p = measure(load(args.verdict))
        print("%.6f %d %.0f" % (shortfall(p), 1 if p["sender_bound"] else 0, p["copies_per_second"]))
        return 0
    if args.summary:
        p = measure(load(args.summary))
        print("  %-28s copies/s %8.0f  loss %7.4f%%  fail-open %7.4f%%  dup %d  p50 %s us  p99 %s us  cpu %s us/copy  path %s us/copy%s  rss %s MiB  own/group MAC %d/%d" % (
            p["name"], p["copies_per_second"], 100 * p["loss"], 100 * p["untranslated"], p["duplicates"], fmt(p["latency_p50_us"], "%d"),
            fmt(p["latency_p99_us"], "%d"), fmt(p["cpu_us_per_copy"], "%.2f"), fmt(p["path_us_per_copy"], "%.2f"),
            "  SENDER-BOUND" if p["sender_bound"] else "", fmt(p["rss_mib"], "%.1f"),
            p["frames_to_own_mac"], p["frames_to_group_mac"]))
        return 0
    points = pooled_points([load(path) for path in args.points])
    extra = load(args.extra) if args.extra and os.path.exists(args.extra) else {}
    fixed, saturation, goals = build(points, extra)
    text = text_report(fixed, saturation, goals, args.machine, args.note, extra)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        # JSON: of the lossless steps, their rates only (the steps themselves are in "points").
        listed = {key: dict(entry, lossless=sorted(entry["lossless"])) for key, entry in saturation.items()}
        json.dump({"machine": args.machine, "note": args.note, "points": points, "saturation": listed,
                   "goals": goals, "facts": extra.get("facts", {})}, f, indent=1)
    if not plot(fixed, saturation, os.path.join(args.out, "bench.png")):
        print("report: matplotlib not installed (apt-get install python3-matplotlib): no bench.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
