#!/usr/bin/env bash
# A real IPTV stream end to end.  In the source namespace ffmpeg encodes a test
# pattern (H.264, libx264 ultrafast/zerolatency, CBR about 4 Mbit/s, MPEG-TS in
# 1316-byte datagrams, as IPTV headends send it) to $GROUP:$PORT for
# $MUT_MPEGTS_SECONDS (10) seconds.  mutd translates it for clients 1 and 2, both
# static subscribers; each runs a real player:
#   client 1: ffmpeg reading udp://@GROUP:PORT, recording the TS to a file (-c copy)
#   client 2: VLC (cvlc, headless, as user nobody since VLC refuses root) dumping
#             the transport stream it received byte for byte (--demux=dump);
#             a second ffmpeg when cvlc is not installed (MUT_MPEGTS_PLAYER2=ffmpeg
#             forces that).
# tcpdump captures the sent stream on the source and the arriving frames on each
# client.  Checked with tools/ts-check:
#   - sent stream: clean (so the checker's zero below means something);
#   - each client's wire capture: every TS packet sent, zero continuity errors,
#     every frame addressed to the client's own unicast MAC, none to the group MAC;
#   - ffmpeg player: its demuxer reports no continuity failure, and its recording
#     holds every video frame that was sent (its muxer renumbers continuity
#     counters, so the recording itself cannot show loss);
#   - VLC player: the dumped stream has zero continuity errors and every TS packet;
#   - the checker itself flags one dropped TS packet (not a vacuous zero).
# The scenario itself is in mpegts.sh, shared with t-mpegts-ipv6.sh.
# shellcheck source=Tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/netns/mpegts.sh
source "$(dirname "$0")/mpegts.sh"
require_root
require_translator
mpegts_require

topology 2
learn_neighbours
load_queue_rule
# The players join through the client kernel (IGMP); mutd serves them as static
# subscribers, it does not need the reports.
start_translator 1 2

mpegts_run "$GROUP" "$GROUP" ""
mpegts_verdicts "$GROUP" 0x0800
mpegts_mutd_verdicts
finish
