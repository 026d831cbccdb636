"""The Internet checksum (RFC 1071), shared by the tools that build or check IPv4 and IGMP
headers (igmp-query, igmp-flood, mcast-sink). Stdlib only."""

import struct


def checksum(data):
    """The one's-complement checksum to put in a header whose checksum field is zero."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def checksum_ok(data):
    """Whether a header or message, its checksum field included, adds up."""
    return checksum(data) == 0
