#!/usr/bin/env bash
# Source-specific multicast (IGMPv3 INCLUDE): two sources send to one SSM group; client 1
# joins (S1,G), client 2 joins (S2,G); each receives only its source, as unicast copies.
export GROUP=232.1.1.1
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd (IGMP snooping)"

COUNT=300
S1=$SOURCE_IP
S2=10.10.1.3
topology 2
ip -n "$NS_SRC" addr add "$S2/24" dev eth0
in_ns "$NS_RTR" smcroutectl -u "$WORKDIR/smcroute.sock" add up0 "$S2" "$GROUP" lan0 \
	|| fail "cannot add the ($S2, $GROUP) route"
for i in 1 2; do sysctl_in "$(client_ns "$i")" net.ipv4.conf.eth0.force_igmp_version=3; done
learn_neighbours
load_queue_rule
start_translator

# Client 1 wants S1 only, client 2 S2 only (IP_ADD_SOURCE_MEMBERSHIP: IGMPv3 ALLOW/IS_IN).
start_sink 1 --source "$S1" --expect "$COUNT"
start_sink 2 --source "$S2" --expect "$COUNT"
wait_sinks_ready 1 2
wait_until 5 joins_logged 2 || fail "mutd did not learn both (S,G) joins"
grep "IGMP" "$TRANSLATOR_LOG" | sed 's/^/  /'
# Both sources at once, each its own stream id.
in_ns "$NS_SRC" python3 "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" --count "$COUNT" --rate 300 \
	--ttl "$SENDER_TTL" --stream 1 --source "$S1" >"$WORKDIR/send1.json" 2>&1 &
remember $!; p1=$!
in_ns "$NS_SRC" python3 "$TOOLS/mcast-send" --group "$GROUP" --port "$PORT" --count "$COUNT" --rate 300 \
	--ttl "$SENDER_TTL" --stream 2 --source "$S2" >"$WORKDIR/send2.json" 2>&1 &
remember $!; p2=$!
senders_done() { [ -s "$WORKDIR/send1.json" ] && [ -s "$WORKDIR/send2.json" ]; }
wait_until 10 senders_done || fail "the senders did not finish"
sleep 0.5
"$MUT_BIN_DIR/mutctl" --socket "$MUTD_SOCKET" groups
stop_sinks 1 2
for i in 1 2; do summarize_sink "$i"; done
check "client 1: $COUNT frames, all from $S1" eq "$(sink 1 capture.src_ips)" "{\"$S1\": $COUNT}"
check "client 2: $COUNT frames, all from $S2" eq "$(sink 2 capture.src_ips)" "{\"$S2\": $COUNT}"
for i in 1 2; do
	check "client $i: every frame unicast to its own MAC" eq "$(sink $i capture.to_own_mac)/$(sink $i capture.frames)" "$COUNT/$COUNT"
	check "client $i: socket got each of its source's packets once" eq "$(sink $i socket.unique)/$(sink $i socket.duplicates)" "$COUNT/0"
done
finish
