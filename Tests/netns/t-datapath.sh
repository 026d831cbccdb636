#!/usr/bin/env bash
# The data path end to end: queue rule + translator with clients 1 and 2 as
# static subscribers.  Client 3 joins with a real socket but its IGMP is blocked,
# so the translator cannot know it: it must see no frame of the group at all.
#   clients 1, 2: every packet exactly once, every frame to their own unicast MAC,
#                 no group-MAC frame, payload and addresses byte-identical,
#                 TTL = sender's - 1.
#   client 3:     nothing (the original multicast was dropped, and no copy of
#                 another client's reached its port).
# Runs mutd when $MUT_BIN_DIR/mutd exists, refmut with MUT_TRANSLATOR=refmut.
source "$(dirname "$0")/lib.sh"
require_root
require_translator

COUNT=300
topology 3
block_igmp 3
learn_neighbours
load_queue_rule
start_translator 1 2
for i in 1 2 3; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2 3
send_stream "$COUNT" 300
sleep 0.5
stop_sinks 1 2 3

check "translator still running after the stream" translator_alive
for i in 1 2; do
	summarize_sink "$i"
	check "client $i: socket got all $COUNT packets" eq "$(sink $i socket.unique)" "$COUNT"
	check "client $i: no duplicates at the socket" eq "$(sink $i socket.duplicates)" 0
	check "client $i: $COUNT frames on the wire, one per packet" eq "$(sink $i capture.frames)" "$COUNT"
	check "client $i: every frame to its own MAC $(client_mac $i)" eq "$(sink $i capture.to_own_mac)" "$COUNT"
	check "client $i: no group-MAC frame" eq "$(sink $i capture.to_group_mac)" 0
	check "client $i: no frame to another MAC" eq "$(sink $i capture.to_other_mac)" 0
	check "client $i: payload byte-identical" eq "$(sink $i capture.identical)" "$COUNT"
	check "client $i: source and destination IP unchanged" \
		eq "$(sink $i capture.src_ips)/$(sink $i capture.dst_ips)" "{\"$SOURCE_IP\": $COUNT}/{\"$GROUP\": $COUNT}"
	check "client $i: TTL is sender's minus one" eq "$(sink $i capture.ttls)" "{\"$((SENDER_TTL - 1))\": $COUNT}"
	check "client $i: IPv4 header checksums valid" eq "$(sink $i capture.ip_checksum_bad)" 0
done
summarize_sink 3
check "client 3 (not subscribed): no frame of the group" eq "$(sink 3 capture.frames)" 0
check "client 3 (not subscribed): socket received nothing" eq "$(sink 3 socket.received)" 0
finish
