"""Test payload shared by mcast-send and mcast-sink (stdlib only).

Layout, network byte order:
    magic      4 bytes  b"MUT1"
    stream id  u32
    sequence   u64      0, 1, 2, ... per stream
    sent at    u64      CLOCK_MONOTONIC nanoseconds at the sender
    filler     size - 24 bytes, derived from (stream, sequence) only

The filler lets a receiver regenerate the exact bytes the sender produced and so
check that nothing on the path rewrote the payload.
"""

import struct

MAGIC = b"MUT1"
HEADER = struct.Struct("!4sIQQ")
HEADER_SIZE = HEADER.size  # 24

# A fixed byte pattern; the filler is a window into it whose start depends on
# (stream, sequence). 251 is prime, so consecutive packets get distinct windows.
_PATTERN_PERIOD = 251
_PATTERN = bytes((i * 7 + 3) % 256 for i in range(_PATTERN_PERIOD)) * 300  # 75 KB


def filler(stream, seq, length):
    if length <= 0:
        return b""
    start = (seq * 13 + stream) % _PATTERN_PERIOD
    if start + length > len(_PATTERN):
        raise ValueError("payload too large for the filler pattern")
    return _PATTERN[start:start + length]


def build(stream, seq, sent_ns, size):
    """The whole UDP payload for one packet; size >= HEADER_SIZE."""
    if size < HEADER_SIZE:
        raise ValueError("size must be at least %d bytes" % HEADER_SIZE)
    return HEADER.pack(MAGIC, stream, seq, sent_ns) + filler(stream, seq, size - HEADER_SIZE)


def parse(payload):
    """(stream, seq, sent_ns) for a test payload, or None for anything else."""
    if len(payload) < HEADER_SIZE or payload[:4] != MAGIC:
        return None
    _, stream, seq, sent_ns = HEADER.unpack_from(payload)
    return stream, seq, sent_ns


def is_identical(payload):
    """True when the payload is byte for byte what build() produced for its header."""
    header = parse(payload)
    if header is None:
        return False
    stream, seq, _ = header
    return payload[HEADER_SIZE:] == filler(stream, seq, len(payload) - HEADER_SIZE)
