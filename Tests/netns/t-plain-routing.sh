#!/usr/bin/env bash
# No translator: three joined clients each receive every packet, as plain
# multicast (group MAC), once. Validates the topology the other tests build on.
source "$(dirname "$0")/lib.sh"
require_root

COUNT=200
topology 3
for i in 1 2 3; do start_sink "$i" --expect "$COUNT"; done
wait_sinks_ready 1 2 3
send_stream "$COUNT" 200
sleep 0.5
stop_sinks 1 2 3

for i in 1 2 3; do
	summarize_sink "$i"
	check "client $i: socket got all $COUNT packets" eq "$(sink $i socket.unique)" "$COUNT"
	check "client $i: no duplicates" eq "$(sink $i socket.duplicates)" 0
	check "client $i: every frame carried the group MAC" eq "$(sink $i capture.to_group_mac)" "$COUNT"
	check "client $i: no unicast frames" eq "$(sink $i capture.to_own_mac)" 0
	check "client $i: payload byte-identical" eq "$(sink $i capture.identical)" "$COUNT"
	check "client $i: TTL is sender's minus one" eq "$(sink $i capture.ttls)" "{\"$((SENDER_TTL - 1))\": $COUNT}"
done
finish
