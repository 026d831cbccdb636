#!/usr/bin/env python3
"""Judge the Wi-Fi test bed's raw results (what tools/wifi/guest.sh left behind).

    report.py OUT_DIR SCENARIOS_FILE STREAM_TS [--markdown FILE]

Per scenario and station: datagrams delivered (matched to the stream file by
content), TS continuity errors (tools/ts-check on the capture), frames to the
station's own MAC vs the group MAC, latency p50/p99 (capture time - send time,
one clock inside the guest), and from the AP and the medium: retries, failures,
unicast vs group stream frames on the air.  Prints one verdict per scenario and
ends with `N passed, N failed, N skipped`.  Exit status 1 if any failed.
"""
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
TS_CHECK = os.path.join(HERE, "..", "ts-check")
DATAGRAM = 7 * 188
STATIONS, WATCHING = (1, 2, 3), (1, 2)
LEAVING = 2  # the station that leaves and comes back in the mutd-leave scenario
LOSSY = 1  # the station whose link gets lossy halfway through the mutd-telemetry scenario


def station_mac(i):
    return "02:00:00:00:%02x:00" % i


def pcap_frames(path):
    """(timestamp ns, frame bytes) for each frame of a pcap file."""
    data = open(path, "rb").read() if os.path.exists(path) else b""
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    scale = 1 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1000
    out, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from(endian + "IIII", data, at)
        out.append((sec * 10**9 + frac * scale, data[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    return out


def pcap_arrivals(path, port):
    """(timestamp ns, UDP payload) for each IPv4/UDP frame to port in a pcap."""
    out = []
    for ts, frame in pcap_frames(path):
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        ihl = (frame[14] & 15) * 4
        udp = frame[14 + ihl:]
        if len(udp) >= 8 and struct.unpack_from("!H", udp, 2)[0] == port:
            out.append((ts, bytes(udp[8:])))
    return out


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def station_dump(path):
    """{mac: {counter: value}} from `iw dev wlan0 station dump`."""
    stations, current = {}, None
    for line in open(path) if os.path.exists(path) else []:
        m = re.match(r"Station ([0-9a-f:]{17})", line)
        if m:
            current = stations.setdefault(m.group(1), {})
            continue
        m = re.match(r"\s+(tx packets|tx retries|tx failed|connected time):\s+(\d+)", line)
        if m and current is not None:
            current[m.group(1)] = int(m.group(2))
    return stations


def read_time(path):
    try:
        return float(open(path).read().split()[0]) * 1e9
    except (OSError, ValueError, IndexError):
        return None


def ap_station_deleted(path, mac, after):
    """The first `del station MAC` in `iw event -t` output at or after `after` (ns), in ns."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    for line in lines:
        stamp, _, rest = line.partition(":")
        if "del station " + mac not in rest:
            continue
        try:
            t = int(float(stamp) * 1e9)
        except ValueError:
            continue
        if t >= after - 1e8:
            return t
    return None


def leave_checks(d, i, arrivals):
    """The station that left (wpa_cli disconnect, or its supplicant killed) and came back while mutd served
    it: from 1 s after it left until it came back the AP got no copy for it; once associated
    again it got copies again (mutd asked it at once)."""
    left, returned, associated = (read_time(os.path.join(d, f)) for f in ("left.t", "returned.t", "associated.t"))
    if left is None or returned is None:
        return [(False, "sta%d: the leave and return times were not recorded" % i)]
    mac = bytes.fromhex(station_mac(i).replace(":", ""))
    to_station = [ts for ts, frame in pcap_frames(os.path.join(d, "ap.pcap")) if frame[:6] == mac]
    # The disassociation as the AP saw it (its station event), when recorded: under a starved
    # guest the AP can take seconds to act on the station's deauthentication.
    deleted = ap_station_deleted(os.path.join(d, "ap-events.txt"), station_mac(i), left)
    since = deleted if deleted is not None else left
    while_away = [ts for ts in to_station if since + 1e9 <= ts < returned]
    last_after_leave = max((ts for ts in to_station if left <= ts < returned), default=None)
    checks = [(bool(to_station), "the AP's capture has %d frames for sta%d" % (len(to_station), i)),
              (not while_away, "sta%d left (the AP deleted it %s s after it left): the AP sent it %d frames of the group "
               "from 1 s after that until it came back (last one %s s after it left)"
               % (i, "-" if deleted is None else "%.2f" % ((deleted - left) / 1e9), len(while_away),
                  "-" if last_after_leave is None else "%.2f" % ((last_after_leave - left) / 1e9)))]
    back = [ts for ts, _ in arrivals if ts >= returned]
    checks.append((associated is not None and bool(back),
                   "sta%d came back: associated %s s after reconnecting, first datagram %s s after reconnecting, %d datagrams since"
                   % (i, "-" if associated is None else "%.1f" % ((associated - returned) / 1e9),
                      "%.1f" % ((min(back) - returned) / 1e9) if back else "never", len(back))))
    log = os.path.join(d, "mutd.log")
    said = os.path.exists(log) and "left the access point" in open(log).read()
    checks.append((said, "mutd logged the station's departure"))
    try:
        ended = json.load(open(os.path.join(d, "groups.json"))).get("ended", [])
    except (OSError, ValueError, AttributeError):
        ended = []
    why = [e.get("why") for e in ended if e.get("client") == "192.168.50.1%d" % i]
    checks.append(("station_left" in why, "mutctl groups says why sta%d's membership ended: %s" % (i, why or "nothing")))
    return checks


def radio_of(path, ip):
    """The "radio" object mutd reported for client ip (mutctl groups --json), or None."""
    try:
        groups = json.load(open(path))["groups"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return next((c.get("radio") for g in groups for c in g.get("clients", []) if c.get("ip") == ip and c.get("radio")), None)


def telemetry_checks(d):
    """mutd's radio telemetry of each watching station before and after the medium's loss on
    the AP's link to station LOSSY rose (guest.sh telemetry_samples): every figure is there,
    and LOSSY's retries per sent frame rise from about 0 to about P/(1-P) while the other's
    stay about 0. Counts over windows of hundreds of frames, with wide margins."""
    checks, figures = [], []
    for i in WATCHING:
        ip = "192.168.50.1%d" % i
        samples = [radio_of(os.path.join(d, "telemetry-%d.json" % k), ip) for k in range(3)]
        complete = all(s and all(k in s for k in ("tx_bitrate_kbps", "tx_packets", "tx_retries", "signal_dbm", "inactive_ms"))
                       for s in samples)
        checks.append((complete, "sta%d: mutctl groups --json shows its TX bitrate, packets, retries, signal and inactive time "
                       "in all 3 samples" % i))
        if not complete:
            continue
        windows = []
        for a, b in ((0, 1), (1, 2)):
            packets = samples[b]["tx_packets"] - samples[a]["tx_packets"]
            retries = samples[b]["tx_retries"] - samples[a]["tx_retries"]
            windows.append((packets, retries, retries / packets if packets > 0 else None))
        (p0, r0, q0), (p1, r1, q1) = windows
        figures.append("sta%d: TX %s -> %s Mbit/s, signal %s dBm; retries/packets %d/%d = %s before, %d/%d = %s after"
                       % (i, samples[1]["tx_bitrate_kbps"] / 1000, samples[2]["tx_bitrate_kbps"] / 1000, samples[2]["signal_dbm"],
                          r0, p0, fmt(q0, "%.2f"), r1, p1, fmt(q1, "%.2f")))
        moving = p0 >= 50 and p1 >= 50
        checks.append((moving, "sta%d: the AP sent it %d and %d frames in the two windows (at least 50 each); %s"
                       % (i, p0, p1, figures[-1])))
        if not moving:
            continue
        if i == LOSSY:
            checks.append((q1 >= 0.15 and q1 >= q0 + 0.1,
                           "sta%d (its link now lossy): retries per frame rose from %.2f to %.2f (goal: >= 0.15 and +0.1)" % (i, q0, q1)))
        else:
            checks.append((q1 <= 0.1, "sta%d (its link untouched): retries per frame %.2f after (goal <= 0.1)" % (i, q1)))
    return checks, figures


GROUP = "239.1.1.1"
AIRTIME_DWELL = 8  # guest.sh's airtime-min-dwell


def airtime_trace(path):
    """[(time ns, decision or None, mode, switches, {mac: AP tx bitrate Mbit/s})] from the
    guest's records (every 2 s) of `mutctl groups --json` and `iw dev wlan0 station dump`."""
    records, current, mac = [], None, None
    for line in open(path) if os.path.exists(path) else []:
        if line.startswith("@ "):
            current = {"t": float(line.split()[1]) * 1e9, "decision": None, "mode": None, "switches": 0, "rates": {}}
            records.append(current)
        elif current is None:
            continue
        elif line.startswith("{"):
            try:
                groups = [g for g in json.loads(line).get("groups", []) if g.get("group") == GROUP]
            except ValueError:
                continue
            airtime = [a for g in groups for a in g.get("airtime", [])]
            if airtime:
                current["decision"] = "multicast" if any(a.get("decision") == "multicast" for a in airtime) else "unicast"
                current["switches"] = sum(a.get("switches", 0) for a in airtime)
            current["mode"] = groups[0].get("mode") if groups else None
        elif line.startswith("Station "):
            mac = line.split()[1]
        else:
            m = re.match(r"\s+tx bitrate:\s+([\d.]+) MBit/s", line)
            if m and mac:
                current["rates"][mac] = float(m.group(1))
    return records


def airtime_checks(d, stream_seconds):
    """The AP's rates forced to 6 Mbit/s a fifth into the stream and freed at three fifths:
    the group goes as multicast after the first, as copies again after the second and the
    dwell, and switches a bounded number of times. None instead of checks when mutd reported
    no airtime decision at all (no station telemetry in this build)."""
    forced, freed = read_time(os.path.join(d, "forced.t")), read_time(os.path.join(d, "freed.t"))
    records = airtime_trace(os.path.join(d, "airtime-trace.txt"))
    if forced is None or freed is None:
        return [(False, "the times the rates were forced and freed were not recorded")], False
    watching = [station_mac(i) for i in WATCHING]

    def rates(lo, hi):
        return sorted({r["rates"].get(m) for r in records if lo <= r["t"] < hi for m in watching} - {None})
    checks = [(bool(records), "%d trace records" % len(records))]
    forced_rates, freed_rates = rates(forced + 2e9, freed), rates(freed + 4e9, float("inf"))
    checks.append((6.0 in forced_rates, "AP tx bitrate to the watching stations while forced: %s Mbit/s" % forced_rates))
    checks.append((any(r > 6 for r in freed_rates), "AP tx bitrate once freed: %s Mbit/s" % freed_rates))
    decided = [r for r in records if r["decision"]]
    if not decided:
        return checks, False
    before = [r["decision"] for r in decided if r["t"] < forced]
    checks.append((bool(before) and set(before) == {"unicast"}, "before forcing: %s" % (sorted(set(before)) or "no decision")))
    to_multicast = next((r for r in decided if r["t"] >= forced and r["decision"] == "multicast"), None)
    checks.append((to_multicast is not None and to_multicast["t"] - forced <= 15e9,
                   "forced: multicast %s s after the rates dropped%s" % (
                       "never" if to_multicast is None else "%.1f" % ((to_multicast["t"] - forced) / 1e9),
                       "" if to_multicast is None else " (mode %s)" % to_multicast["mode"])))
    if to_multicast is not None:
        back = next((r for r in decided if r["t"] > to_multicast["t"] and r["decision"] == "unicast"), None)
        checks.append((back is not None and back["t"] >= freed and back["t"] - to_multicast["t"] >= (AIRTIME_DWELL - 1) * 1e9,
                       "freed: copies again %s s after the rates came back, %s s after the switch (dwell %d s)" % (
                           "never" if back is None else "%.1f" % ((back["t"] - freed) / 1e9),
                           "-" if back is None else "%.1f" % ((back["t"] - to_multicast["t"]) / 1e9), AIRTIME_DWELL)))
    try:
        switches = json.load(open(os.path.join(d, "status.json"))).get("airtime_switches")
    except (OSError, ValueError):
        switches = None
    checks.append((switches is not None and 2 <= switches <= 4,
                   "airtime switches %s (two rate changes: 2 expected, hysteresis bounds them at 4)" % switches))
    log = os.path.join(d, "mutd.log")
    said = os.path.exists(log) and "airtime: %s" % GROUP in open(log).read()
    checks.append((said, "mutd logged its airtime switches"))
    return checks, True


def judge(out, name, loss, mode, chunks):
    d = os.path.join(out, name)
    sent_raw = open(os.path.join(d, "sent.bin"), "rb").read() if os.path.exists(os.path.join(d, "sent.bin")) else b""
    sent = struct.unpack("<%dq" % (len(sent_raw) // 8), sent_raw)
    medium = json.load(open(os.path.join(d, "medium.json"))) if os.path.exists(os.path.join(d, "medium.json")) else {}
    before, after = station_dump(os.path.join(d, "ap-before.txt")), station_dump(os.path.join(d, "ap-after.txt"))
    checks, rows = [], []
    params = os.path.join(d, "params")
    stream_seconds = float(open(params).read().split()[2]) if os.path.exists(params) else 0
    if os.path.exists(os.path.join(d, "failed")):
        checks.append((False, "setup failed: " + open(os.path.join(d, "failed")).read().strip()))
    checks.append((len(sent) > 0, "sender sent %d datagrams" % len(sent)))
    checks.append((medium.get("netlink_overruns", -1) == 0,
                   "medium: %s netlink overruns (frames the kernel dropped before the medium)" % medium.get("netlink_overruns")))
    for i in STATIONS:
        arrivals = pcap_arrivals(os.path.join(d, "sta%d.pcap" % i), 5000)
        first = {}
        for ts, payload in arrivals:
            # A datagram's content may repeat in the file (stuffing): take the
            # earliest copy not delivered yet.
            index = next((k for k in chunks.get(payload, ()) if k < len(sent) and k not in first), None)
            if index is not None:
                first[index] = ts
        lat = [(first[k] - sent[k]) / 1e6 for k in first]
        ts = subprocess.run([sys.executable, TS_CHECK, "--pcap", os.path.join(d, "sta%d.pcap" % i),
                             "--own-mac", station_mac(i)], capture_output=True, text=True)
        tsj = json.loads(ts.stdout) if ts.stdout.strip() else {}
        wire = tsj.get("wire", {})
        mac = station_mac(i)
        ap = {k: after.get(mac, {}).get(k, 0) - before.get(mac, {}).get(k, 0) for k in ("tx packets", "tx retries", "tx failed")}
        air = medium.get("stream_frames", {})
        row = {"station": i, "watching": i in WATCHING, "delivered": len(first), "sent": len(sent),
               "loss_pct": 100.0 * (1 - len(first) / len(sent)) if sent else None,
               "cc_errors": tsj.get("cc_errors"), "frames": wire.get("frames", 0),
               "to_own_mac": wire.get("to_own_mac", 0), "to_group_mac": wire.get("to_group_mac", 0),
               "air_unicast": air.get("0>%d unicast" % i, 0), "air_group": air.get("0>%d group" % i, 0),
               "ap_tx_packets": ap["tx packets"], "ap_retries": ap["tx retries"], "ap_failed": ap["tx failed"],
               "p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99)}
        rows.append(row)
        # The AP's counters start again when a station associates anew, e.g. after
        # missing beacons that waited behind a busy guest's backlog.
        # The two dumps are at least the stream's length apart.
        kept = (after.get(mac, {}).get("connected time", -1) - before.get(mac, {}).get("connected time", 0)
                >= stream_seconds - 1)
        if mode.startswith("mutd-leave") and i == LEAVING:
            checks += leave_checks(d, i, arrivals)
            continue
        checks.append((kept, "sta%d stayed associated through the scenario" % i))
        if i in WATCHING:
            lost = row["loss_pct"] if row["loss_pct"] is not None else 100.0
            if mode == "mutd-airtime":
                # Copies and plain multicast both, on a lossless medium: whatever the switch costs.
                checks.append((lost <= 1, "sta%d lost %.2f %% of datagrams (goal <= 1 %%)" % (i, lost)))
                checks.append((row["to_own_mac"] > 0 and row["to_group_mac"] > 0,
                               "sta%d got %d copies and %d group frames" % (i, row["to_own_mac"], row["to_group_mac"])))
            elif mode.startswith("mutd") or mode == "hostapd-m2u":
                checks.append((lost <= 0.1, "sta%d lost %.2f %% of datagrams (goal <= 0.1 %%)" % (i, lost)))
                checks.append((row["cc_errors"] == 0, "sta%d: %s TS continuity errors (goal 0)" % (i, row["cc_errors"])))
            else:
                low, high = (0.0, 1.0) if loss == 0 else (50 * loss, 150 * loss)
                checks.append((low <= lost <= high, "sta%d lost %.1f %% (plain multicast: expected %.0f-%.0f %% at %.0f %% loss per attempt)"
                               % (i, lost, low, high, 100 * loss)))
        elif mode.startswith("mutd") and mode != "mutd-airtime":
            checks.append((row["frames"] == 0, "sta%d (not watching) got %d frames of the group" % (i, row["frames"])))
    decided = True
    if mode == "mutd-telemetry":
        checks += telemetry_checks(d)[0]
    if mode == "mutd-airtime":
        more, decided = airtime_checks(d, stream_seconds)
        checks += more
    if mode.startswith("mutd"):
        groups = os.path.join(d, "groups-before.json")
        try:
            clients = {c.get("ip") for g in json.load(open(groups))["groups"] for c in g.get("clients", [])}
        except (OSError, ValueError, KeyError):
            clients = set()
        want = {"192.168.50.1%d" % i for i in WATCHING}
        checks.append((want <= clients, "IGMP through the AP bridge: mutd knows %s" % (sorted(clients) or "nobody")))
    return checks, rows, medium, decided


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def main():
    out, scenarios_file, stream = sys.argv[1:4]
    markdown = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
    data = open(stream, "rb").read()
    chunks = {}
    for k in range(len(data) // DATAGRAM):
        chunks.setdefault(data[k * DATAGRAM:(k + 1) * DATAGRAM], []).append(k)
    passed = failed = skipped = 0
    # The guest's own checks (installed files, the bed's setup) before any scenario.
    guest_log = os.path.join(out, "guest.log")
    setup_failures = [l.strip() for l in open(guest_log) if " FAIL " in l] if os.path.exists(guest_log) else []
    if setup_failures:
        print("FAIL guest setup")
        for line in setup_failures:
            print("   NOT OK " + line)
        failed += 1
    table = ["| scenario | station | delivered | lost % | CC errors | frames own MAC / group MAC | air unicast / group | AP tx / retries / failed | p50 / p99 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for line in open(scenarios_file):
        if not line.strip():
            continue
        name, loss, mode = line.split()
        if not os.path.isdir(os.path.join(out, name)):
            print("FAIL %s (the guest did not run it: see its log above)" % name)
            failed += 1
            continue
        checks, rows, medium, decided = judge(out, name, float(loss), mode, chunks)
        ok = all(c for c, _ in checks)
        if not decided:
            # This mutd reports no airtime decision: it has no station telemetry (nl80211
            # station polling) to decide on. Said loudly, counted as skipped.
            print("SKIP %s: mutd reported no airtime decision (needs nl80211 station telemetry in mutd)" % name)
            for c, text in checks:
                print("   %s %s" % ("ok    " if c else "NOT OK", text))
            skipped += 1
            continue
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for c, text in checks:
            print("   %s %s" % ("ok    " if c else "NOT OK", text))
        for r in rows:
            line = ("| %s | sta%d%s | %d/%d | %s | %s | %d / %d | %d / %d | %d / %d / %d | %s / %s |"
                    % (name, r["station"], "" if r["watching"] else " (not watching)", r["delivered"], r["sent"],
                       fmt(r["loss_pct"], "%.2f"), r["cc_errors"], r["to_own_mac"], r["to_group_mac"],
                       r["air_unicast"], r["air_group"], r["ap_tx_packets"], r["ap_retries"], r["ap_failed"],
                       fmt(r["p50_ms"]), fmt(r["p99_ms"])))
            table.append(line)
            print("   " + line)
        print("   medium: %d frames, %d attempts, %d lost attempts, %d acked, %d not acked, CPU %s s, airtime %s"
              % (medium.get("frames", 0), medium.get("attempts", 0), medium.get("lost_attempts", 0),
                 medium.get("acked", 0), medium.get("not_acked", 0), medium.get("cpu_s"),
                 {k: "%.2f s" % (v / 1e6) for k, v in medium.get("airtime_us", {}).items()}))
        passed, failed = passed + ok, failed + (not ok)
    if markdown:
        open(markdown, "w").write("\n".join(table) + "\n")
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
