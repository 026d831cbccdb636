#!/usr/bin/env bash
# tools/ts-check against transport streams built here byte by byte, so each rule is
# pinned: clean stream, a lost packet, an allowed duplicate, a second duplicate, a
# packet without payload (counter kept), the discontinuity indicator, the null PID,
# a broken sync byte; and the pcap reader (Ethernet/IPv4 and IPv6/UDP, MAC classes).
# No root, no ffmpeg.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TS_CHECK="$ROOT/tools/ts-check"
tmp=$(mktemp -d /tmp/mut-tscheck.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

python3 - "$tmp" <<'PY'
import socket, struct, sys
out = sys.argv[1]

def packet(pid, cc, payload=True, adaptation=None, fill=0x00):
    control = (0x1 if payload else 0) | (0x2 if adaptation is not None else 0)
    header = struct.pack("!BHB", 0x47, pid & 0x1FFF, (control << 4) | (cc & 0xF))
    body = b""
    if adaptation is not None:
        body += bytes([len(adaptation)]) + adaptation
    body += bytes([fill]) * (184 - len(body))
    return header + body

def stream(cc_list, pid=0x100):
    return b"".join(packet(pid, cc, fill=i & 0xFF) for i, cc in enumerate(cc_list))

def write(name, data):
    open("%s/%s.ts" % (out, name), "wb").write(data)

write("clean", stream(range(40)) + stream(range(5), pid=0x101))           # wraps past 15
write("lost", stream([0, 1, 2, 4, 5]))                                      # 3 missing
dup = stream([0, 1, 2]); write("duplicate", dup + dup[-188:] + packet(0x100, 3))
write("two-duplicates", dup + dup[-188:] + dup[-188:])
write("no-payload", stream([0, 1]) + packet(0x100, 1, payload=False, adaptation=b"\x00") + stream([2]))
write("discontinuity", stream([0, 1]) + packet(0x100, 9, adaptation=b"\x80") + packet(0x100, 10))
write("null-pid", stream([0, 1]) + packet(0x1FFF, 7) + packet(0x1FFF, 3) + stream([2]))
bad = bytearray(stream([0, 1, 2])); bad[188] = 0x00; write("bad-sync", bytes(bad))

# pcap: 3 frames to the own MAC, 1 to the group MAC, 1 to another MAC, 1 to another port.
def frame(dst_mac, dst_port, payload):
    udp = struct.pack("!HHHH", 40000, dst_port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 15, 17, 0,
                     socket.inet_aton("10.1.1.2"), socket.inet_aton("239.1.1.1"))
    return bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex("020000000001") + b"\x08\x00" + ip + udp
own, group, other = "02:00:00:00:02:11", "01:00:5e:01:01:01", "02:00:00:00:02:12"
frames = [frame(own, 5000, stream([0, 1, 2, 3, 4, 5, 6])),
          frame(own, 5000, stream([7, 8, 9, 10, 11, 12, 13])),
          frame(group, 5000, stream([14, 15, 0, 1, 2, 3, 4])),
          frame(other, 5000, stream([5, 6, 7, 8, 9, 10, 11])),
          frame(own, 6000, stream([0])),
          frame(own, 5000, stream([12, 13, 14, 15, 0, 1, 2]))]
with open(out + "/wire.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for n, fr in enumerate(frames):
        f.write(struct.pack("<IIII", n, 0, len(fr), len(fr)) + fr)
lossy = frames[:1] + frames[2:4] + frames[5:]   # the second datagram lost on the way
with open(out + "/lossy.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for n, fr in enumerate(lossy):
        f.write(struct.pack("<IIII", n, 0, len(fr), len(fr)) + fr)
# IPv6: one frame to the own MAC, one to the group's 33:33 MAC, one with a hop-by-hop
# header first (not walked: not counted).
def frame6(dst_mac, payload, next_header=17):
    udp = struct.pack("!HHHH", 40000, 5000, 8 + len(payload), 0) + payload
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(udp), next_header, 15,
                     socket.inet_pton(socket.AF_INET6, "2001:db8:1::2"),
                     socket.inet_pton(socket.AF_INET6, "ff3e::8000:1"))
    return bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex("020000000001") + b"\x86\xdd" + ip + udp
frames6 = [frame6(own, stream([0, 1, 2])), frame6("33:33:80:00:00:01", stream([3, 4])),
           frame6(own, stream([5]), next_header=0)]
with open(out + "/wire6.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for n, fr in enumerate(frames6):
        f.write(struct.pack("<IIII", n, 0, len(fr), len(fr)) + fr)
open(out + "/not.pcap", "wb").write(b"garbage")
PY

# expect NAME EXIT KEY=VALUE...: run ts-check on NAME.ts (or the given args) and compare.
expect() {
	local what=$1 want_status=$2; shift 2
	local args=() pairs=()
	while [ $# -gt 0 ]; do case $1 in *=*) pairs+=("$1") ;; *) args+=("$1") ;; esac; shift; done
	local json status
	json=$("$TS_CHECK" "${args[@]}" 2>"$tmp/err"); status=$?
	local problems=""
	[ "$status" = "$want_status" ] || problems="exit $status, wanted $want_status $(cat "$tmp/err");"
	local pair key value got
	for pair in "${pairs[@]}"; do
		key=${pair%%=*} value=${pair#*=}
		got=$(printf '%s' "$json" | python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$key" 2>/dev/null)
		[ "$got" = "$value" ] || problems="$problems $key=$got, wanted $value;"
	done
	if [ -z "$problems" ]; then echo "  ok      $what"; else echo "  NOT OK  $what: $problems"; failures=$((failures + 1)); fi
}

expect "clean stream, counter wrapping"          0 "$tmp/clean.ts" packets=45 cc_errors=0 clean=True
expect "one lost packet = one error"             1 "$tmp/lost.ts" packets=5 cc_errors=1 clean=False
expect "one duplicate is allowed"                0 "$tmp/duplicate.ts" cc_errors=0 duplicates=1
expect "a second duplicate is an error"          1 "$tmp/two-duplicates.ts" cc_errors=1 duplicates=1
expect "packet without payload keeps counter"    0 "$tmp/no-payload.ts" cc_errors=0
expect "discontinuity indicator allows a jump"   0 "$tmp/discontinuity.ts" cc_errors=0
expect "null PID not checked"                    0 "$tmp/null-pid.ts" cc_errors=0 null_packets=2
expect "broken sync byte"                        1 "$tmp/bad-sync.ts" sync_errors=1
expect "pcap: port filter, MAC classes, continuity" 0 --pcap "$tmp/wire.pcap" --port 5000 --own-mac 02:00:00:00:02:11 \
	wire.frames=5 wire.to_own_mac=3 wire.to_group_mac=1 wire.to_other_mac=1 packets=35 cc_errors=0
expect "pcap: a lost datagram shows"             1 --pcap "$tmp/lossy.pcap" --port 5000 cc_errors=1 wire.frames=4
expect "pcap: IPv6 frames, the group's 33:33 MAC" 0 --pcap "$tmp/wire6.pcap" --port 5000 --own-mac 02:00:00:00:02:11 \
	wire.frames=2 wire.to_own_mac=1 wire.to_group_mac=1 packets=5 cc_errors=0 \
	'wire.ethertypes={"0x86dd": 2}' 'wire.dst_ips={"ff3e::8000:1": 2}'
expect "pcap: IPv4 frames counted by EtherType"  0 --pcap "$tmp/wire.pcap" --port 5000 'wire.ethertypes={"0x0800": 5}'
expect "not a pcap: exit 2"                      2 --pcap "$tmp/not.pcap"

if [ $failures -gt 0 ]; then echo "FAIL: $failures check(s)"; exit 1; fi
echo "PASS"
