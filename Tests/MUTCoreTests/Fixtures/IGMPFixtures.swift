// IGMP frames captured from Linux 6.18 kernels in network namespaces, as hex (Ethernet header
// first; veth frames carry no padding and no FCS). Made on 2026-11-27 by the script at the end
// of this file: client ns (c0 10.99.0.2, MAC 02:00:00:00:00:02, a python socket joining and
// leaving with /proc/sys/net/ipv4/conf/c0/force_igmp_version 3, 2, 1) and a bridge ns (br0
// 10.99.0.1, MAC 02:00:00:00:00:b0, port s0, bridge querier `mcast_querier 1` with
// `mcast_igmp_version` 3 then 2), `tcpdump -i s0 -xx -w` in the bridge ns; each frame's bytes
// copied unchanged from the pcap. Only `v1Query` is hand-made (see its comment).
enum IGMPFixtures {
    /// Frame 1 of the capture. IGMPv3 report from 10.99.0.2 (02:00:00:00:00:02): 1 record, CHANGE_TO_EXCLUDE 239.1.1.1 {} (IP_ADD_MEMBERSHIP, force_igmp_version 3).
    static let v3ToExclude = "01005e000016020000000002080046c00028000040000102f9940a630002e0000016940400002200e9fb0000000104000000ef010101"
    /// Frame 3 of the capture. IGMPv3 report: ALLOW_NEW_SOURCES 232.1.1.1 {10.0.0.11} (IP_ADD_SOURCE_MEMBERSHIP on a new group).
    static let v3AllowNew = "01005e000016020000000002080046c0002c000040000102f9900a630002e0000016940400002200e5ef0000000105000001e80101010a00000b"
    /// Frame 9 of the capture. IGMPv3 report: BLOCK_OLD_SOURCES 232.1.1.1 {10.0.0.11} (IP_DROP_SOURCE_MEMBERSHIP while INCLUDE {.11,.12,.13}).
    static let v3BlockOldInclude = "01005e000016020000000002080046c0002c000040000102f9900a630002e0000016940400002200e4ef0000000106000001e80101010a00000b"
    /// Frame 11 of the capture. IGMPv3 report: BLOCK_OLD_SOURCES 239.1.1.1 {10.0.0.21} (IP_BLOCK_SOURCE while EXCLUDE {}).
    static let v3BlockOldExclude = "01005e000016020000000002080046c0002c000040000102f9900a630002e0000016940400002200dde50000000106000001ef0101010a000015"
    /// Frame 15 of the capture. IGMPv3 report: CHANGE_TO_INCLUDE 239.1.1.2 {} (IP_DROP_MEMBERSHIP: the v3 leave).
    static let v3ToIncludeEmpty = "01005e000016020000000002080046c00028000040000102f9940a630002e0000016940400002200eafa0000000103000000ef010102"
    /// Frame 17 of the capture. IGMPv3 report, 2 records: CHANGE_TO_INCLUDE 239.1.1.1 {} and BLOCK_OLD_SOURCES 232.1.1.1 {10.0.0.13, 10.0.0.12} (the socket closed).
    static let v3SocketClosed = "01005e000016020000000002080046c00038000040000102f9840a630002e0000016940400002200e7dc0000000203000000ef01010106000002e80101010a00000d0a00000c"
    /// Frame 19 of the capture. IGMPv3 report, 2 records: ALLOW_NEW_SOURCES 232.1.1.1 {10.0.0.12, 10.0.0.13} and CHANGE_TO_EXCLUDE 239.1.1.1 {10.0.0.21} (new socket: join, block, two source joins).
    static let v3AllowAndToExclude = "01005e000016020000000002080046c0003c000040000102f9800a630002e0000016940400002200ddc60000000205000002e80101010a00000c0a00000d04000001ef0101010a000015"
    /// Frame 21 of the capture. IGMPv3 general query from the bridge querier 10.99.0.1 (02:00:00:00:00:b0) to 224.0.0.1: max resp code 10 (1.0 s), S=0, QRV 2, QQIC 30 (mcast_query_interval 3000 cs), no sources.
    static let v3Query = "01005e0000010200000000b0080046c00024000040000102f9ae0a630001e000000194040000110aecd700000000021e0000"
    /// Frame 22 of the capture. IGMPv3 report answering v3Query, 2 records: MODE_IS_INCLUDE 232.1.1.1 {10.0.0.12, 10.0.0.13} and MODE_IS_EXCLUDE 239.1.1.1 {10.0.0.21}.
    static let v3CurrentState = "01005e000016020000000002080046c0003c000040000102f9800a630002e0000016940400002200e3c60000000201000002e80101010a00000c0a00000d02000001ef0101010a000015"
    /// Frame 25 of the capture. IGMPv2 membership report 239.2.2.2 to 239.2.2.2 (force_igmp_version 2, IP_ADD_MEMBERSHIP).
    static let v2Report = "01005e020202020000000002080046c00020000040000102e8ae0a630002ef020202940400001600f8faef020202"
    /// Frame 27 of the capture. IGMPv2 general query from the bridge querier 10.99.0.1 (mcast_igmp_version 2): max resp 10 (1.0 s, mcast_query_response_interval 100 cs).
    static let v2Query = "01005e0000010200000000b0080046c00020000040000102f9b20a630001e000000194040000110aeef500000000"
    /// Frame 30 of the capture. IGMPv2 leave group 239.2.2.2 to 224.0.0.2 (IP_DROP_MEMBERSHIP, force_igmp_version 2).
    static let v2Leave = "01005e000002020000000002080046c00020000040000102f9b00a630002e0000002940400001700f7faef020202"
    /// Frame 32 of the capture. IGMPv1 membership report 239.3.3.3 to 239.3.3.3 (force_igmp_version 1, IP_ADD_MEMBERSHIP).
    static let v1Report = "01005e030303020000000002080046c00020000040000102e7ac0a630002ef030303940400001200fbf8ef030303"
    /// HAND-MADE, not captured (no Linux querier sends IGMPv1 queries): `v2Query` with the max
    /// response code set to 0 and the IGMP checksum recomputed, which RFC 2236 reads as a v1 query.
    static let v1Query = "01005e0000010200000000b0080046c00020000040000102f9b20a630001e0000001940400001100eeff00000000"

    static let all: [(name: String, hex: String)] = [
        ("v3ToExclude", v3ToExclude),
        ("v3AllowNew", v3AllowNew),
        ("v3BlockOldInclude", v3BlockOldInclude),
        ("v3BlockOldExclude", v3BlockOldExclude),
        ("v3ToIncludeEmpty", v3ToIncludeEmpty),
        ("v3SocketClosed", v3SocketClosed),
        ("v3AllowAndToExclude", v3AllowAndToExclude),
        ("v3Query", v3Query),
        ("v3CurrentState", v3CurrentState),
        ("v2Report", v2Report),
        ("v2Query", v2Query),
        ("v2Leave", v2Leave),
        ("v1Report", v1Report),
        ("v1Query", v1Query),
    ]
}

// The capture script, run as root (tcpdump, iproute2, python3), output in $OUT/igmp.pcap:
//
// #!/bin/bash
// # Captures real IGMP frames from Linux kernels in two network namespaces joined by a veth:
// #   client ns: c0 (10.99.0.2), a python socket joins/leaves groups, force_igmp_version 3/2/1
// #   bridge ns: br0 (10.99.0.1) with port s0; its bridge querier sends v3 then v2 queries
// # tcpdump runs on s0 in the bridge namespace. Output: $OUT/igmp.pcap and $OUT/log.
// set -u
// OUT=${1:-/tmp/igmp-capture/out}
// mkdir -p "$OUT"
// C=mut$$-c
// B=mut$$-b
// TCPDUMP_PID=
// cleanup() {
//     [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
//     ip netns del "$C" 2>/dev/null
//     ip netns del "$B" 2>/dev/null
// }
// trap cleanup EXIT INT TERM
//
// ip netns add "$C"
// ip netns add "$B"
// ip link add c0 netns "$C" address 02:00:00:00:00:02 type veth peer name s0 netns "$B" address 02:00:00:00:00:01
// ip -n "$B" link add br0 address 02:00:00:00:00:b0 type bridge mcast_snooping 1 mcast_querier 0 \
//     mcast_query_use_ifaddr 1 mcast_query_response_interval 100 mcast_query_interval 3000 \
//     mcast_startup_query_interval 3000 mcast_startup_query_count 1
// ip -n "$B" link set s0 master br0
// ip -n "$B" addr add 10.99.0.1/24 dev br0
// ip -n "$B" link set s0 up
// ip -n "$B" link set br0 up
// ip -n "$C" addr add 10.99.0.2/24 dev c0
// ip -n "$C" link set lo up
// ip -n "$C" link set c0 up
// # Let both links settle (DAD, carrier) before capturing.
// sleep 2
//
// ip netns exec "$B" timeout 60 tcpdump -i s0 -U -xx -w "$OUT/igmp.pcap" igmp 2>"$OUT/tcpdump.err" &
// TCPDUMP_PID=$!
// sleep 1
//
// set_version() { ip netns exec "$C" sh -c "echo $1 > /proc/sys/net/ipv4/conf/c0/force_igmp_version"; echo "== force_igmp_version $1" >>"$OUT/log"; }
// querier() { # querier VERSION: switch the bridge querier on for one query, then off again
//     echo "== bridge querier v$1" >>"$OUT/log"
//     ip -n "$B" link set br0 type bridge mcast_igmp_version "$1" mcast_querier 1
//     sleep 3
//     ip -n "$B" link set br0 type bridge mcast_querier 0
// }
//
// # One python client per phase, driven by commands on stdin; it keeps its memberships while alive.
// cat >"$OUT/client.py" <<'EOF'
// import socket, struct, sys, time
// IP_BLOCK_SOURCE, IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP = 38, 39, 40
// local = socket.inet_aton("10.99.0.2")
// s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
// def mreq(g): return socket.inet_aton(g) + local
// def mreq_source(g, src): return socket.inet_aton(g) + local + socket.inet_aton(src)
// for line in sys.stdin:
//     words = line.split()
//     if not words: continue
//     op = words[0]
//     if op == "join": s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq(words[1]))
//     elif op == "leave": s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq(words[1]))
//     elif op == "join-source": s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, mreq_source(words[1], words[2]))
//     elif op == "drop-source": s.setsockopt(socket.IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, mreq_source(words[1], words[2]))
//     elif op == "block": s.setsockopt(socket.IPPROTO_IP, IP_BLOCK_SOURCE, mreq_source(words[1], words[2]))
//     elif op == "sleep": time.sleep(float(words[1]))
//     print(time.time(), line.strip(), file=sys.stderr, flush=True)
// EOF
//
// run_client() { ip netns exec "$C" timeout 40 python3 "$OUT/client.py" 2>>"$OUT/log"; }
//
// # Phase v3: state-change records (TO_EX, ALLOW, BLOCK, TO_IN), then a v3 query for current-state
// # records (IS_EX, IS_IN) while the memberships are still held.
// set_version 3
// {
//     echo "join 239.1.1.1"; echo "sleep 1.5"
//     echo "join-source 232.1.1.1 10.0.0.11"; echo "sleep 1.5"
//     echo "join-source 232.1.1.1 10.0.0.12"; echo "sleep 1.5"
//     echo "join-source 232.1.1.1 10.0.0.13"; echo "sleep 1.5"
//     echo "drop-source 232.1.1.1 10.0.0.11"; echo "sleep 1.5"
//     echo "block 239.1.1.1 10.0.0.21"; echo "sleep 1.5"
//     echo "join 239.1.1.2"; echo "sleep 1.5"
//     echo "leave 239.1.1.2"; echo "sleep 1.5"
//     # Hold 239.1.1.1 EXCLUDE{10.0.0.21} and 232.1.1.1 INCLUDE{.12,.13} across the query.
//     echo "sleep 0.5"
// } | run_client &
// CLIENT=$!
// wait $CLIENT
// # The memberships went away with the socket: TO_IN{} for 239.1.1.1, BLOCK for 232.1.1.1.
// sleep 2
// {
//     echo "join 239.1.1.1"; echo "block 239.1.1.1 10.0.0.21"
//     echo "join-source 232.1.1.1 10.0.0.12"; echo "join-source 232.1.1.1 10.0.0.13"
//     echo "sleep 9"
// } | run_client &
// CLIENT=$!
// sleep 4
// querier 3
// wait $CLIENT
// sleep 2
//
// # Phase v2: report, query + answer, leave.
// set_version 2
// {
//     echo "join 239.2.2.2"; echo "sleep 1.5"
//     echo "join 239.2.2.3"; echo "sleep 6"
//     echo "leave 239.2.2.2"; echo "sleep 1.5"
// } | run_client &
// CLIENT=$!
// sleep 2
// querier 2
// wait $CLIENT
// sleep 1
//
// # Phase v1: a v1 report (v1 hosts send no leave).
// set_version 1
// { echo "join 239.3.3.3"; echo "sleep 2"; } | run_client
// sleep 1
// echo "== done" >>"$OUT/log"
