#!/usr/bin/env python3
"""Writes the seed corpora under Tests/Fuzz/corpus/ from the test fixtures (the captured IGMP
frames in Tests/MUTCoreTests/Fixtures/IGMPFixtures.swift), control requests as mutctl sends
them, JSON like mutd's answers, rtnetlink neighbour messages as the kernel lays them out, and HTTP requests as Prometheus, curl
and broken clients send them to the /metrics endpoint.
Run once; the output is committed (small)."""
import os, re, struct, hashlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = os.path.join(root, "Tests", "Fuzz", "corpus")

def write(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

# IGMP: each captured frame alone, its bare IGMP message in the chunked format fuzzIGMP reads
# (2-byte big-endian length, then bytes), and a join/query/leave sequence.
text = open(os.path.join(root, "Tests/MUTCoreTests/Fixtures/IGMPFixtures.swift")).read()
frames = {n: bytes.fromhex(h) for n, h in re.findall(r'static let (\w+) = "([0-9a-f]+)"', text)}
def chunk(b): return struct.pack(">H", len(b)) + b
for name, frame in frames.items():
    write("IGMP", frame)
    write("IGMP", chunk(frame) + chunk(frame[14 + 24:]))  # IPv4 header with router alert: 24 bytes
# The same frames 802.1Q-tagged (VLAN 10), as a VLAN-aware bridge port carries them.
def tagged(frame): return frame[:12] + b"\x81\x00\x00\x0a" + frame[12:]
for name in ("v3ToExclude", "v2Report", "v2Leave"):
    write("IGMP", tagged(frames[name]))
    write("IGMP", chunk(tagged(frames[name])) + chunk(tagged(frames["v3Query"])))
for seq in (["v3ToExclude", "v3Query", "v3CurrentState", "v3ToIncludeEmpty"],
            ["v2Report", "v2Query", "v2Report", "v2Leave", "v1Report"],
            ["v3AllowNew", "v3BlockOldInclude", "v3AllowAndToExclude", "v3SocketClosed"]):
    write("IGMP", b"".join(chunk(frames[n]) for n in seq))

# MLD: the captured MLDv2 reports of Tests/MUTCoreTests/MLDParserTests.swift.
mld = open(os.path.join(root, "Tests/MUTCoreTests/MLDParserTests.swift")).read()
for h in re.findall(r'static let captured\w+ = "([0-9a-f]+)"', mld):
    write("MLD", bytes.fromhex(h))

# Control: requests as mutctl sends them, and JSON shaped like mutd's answers.
for line in ["status", "groups", "metrics", "enable", "disable", "add 239.1.2.3 10.0.0.7",
             "del 239.1.2.3 10.0.0.7 eth0", "add 232.1.1.1 192.168.1.20 wlan0", "status --json"]:
    write("Control", (line + "\n").encode())
for doc in ['{"ok":true,"status":{"enabled":true,"interfaces":["lan0"],"queues":[0],"packets":12,'
            '"copies":24,"passed":0,"dropped":0,"groups":1,"clients":2,"uptime_s":3.5,"version":"0.1"}}',
            '{"groups":[{"group":"239.1.1.1","interface":"lan0","packets":1,"bytes":1316,"copies":2,'
            '"clients":[{"ip":"10.0.0.2","mac":"02:00:00:00:00:02","via":"igmp","igmp_version":3,'
            '"expires_in_s":259.5}]}]}',
            '{"ok":false,"error":"add: \'x\' is not an IPv4 multicast group \\u00e9"}',
            '[1,-0.5e2,null,"\\ud83d\\ude00",{"a":[[]]}]']:
    write("Control", doc.encode())

# Netlink: RTM_NEWNEIGH / RTM_DELNEIGH datagrams (nlmsghdr, ndmsg, NDA_DST, NDA_LLADDR).
def attr(t, v): return struct.pack("=HH", 4 + len(v), t) + v + b"\0" * ((4 - len(v) % 4) % 4)
def neigh(kind, ip, mac, state=0x02, ifindex=3):
    body = struct.pack("=BxxxiHBB", 2, ifindex, state, 0, 1) + attr(1, bytes(ip))
    if mac is not None: body += attr(2, bytes(mac))
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 1, 0) + body
write("Netlink", neigh(28, [10, 0, 0, 2], [2, 0, 0, 0, 0, 2]))
write("Netlink", neigh(29, [10, 0, 0, 3], None, state=0x20))
write("Netlink", neigh(28, [10, 0, 0, 4], [2, 0, 0, 0, 0, 4]) + neigh(28, [10, 0, 0, 5], [1, 0, 0x5e, 0, 0, 1])
      + struct.pack("=IHHIIi", 20, 3, 2, 1, 0, 0))

# HTTP: request heads for the /metrics endpoint, good and broken.
for req in [b"GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9101\r\nUser-Agent: Prometheus/2.45.0\r\n"
            b"Accept: text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
            b"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nHost: [::1]:9101\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
            b"HEAD /metrics HTTP/1.0\r\n\r\n", b"GET / HTTP/1.0\n\n",
            b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
            b"GET http://a/metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /metrics HTTP/2.0\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
            b"\r\n\r\nGET /metrics HTTP/1.1\r\nhost:a\r\nHOST: b\r\n\r\n"]:
    write("HTTP", req)
