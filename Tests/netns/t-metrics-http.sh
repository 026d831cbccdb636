#!/usr/bin/env bash
# The HTTP /metrics endpoint (--metrics-listen) of a real mutd, scraped from a LAN client:
#   GET /metrics -> 200 with the exposition's content type, parsed by prometheus_client
#   (Tests/shell/metrics-check.sh), per-client series (--metrics-per-client) count the copies
#   client 1 received; HEAD -> 200 without a body; another path -> 404; POST -> 405;
#   garbage -> 400; 40 idle connections at once: mutd keeps at most 8 of them (the rest are
#   answered 503 and closed at once), closes the idle ones at their 5 s deadline, holds no more
#   descriptors than that, and all the while the control socket answers and the data path
#   delivers every copy; afterwards the endpoint serves again. The socket is opened before
#   mutd drops to nobody (--user). Then the same over IPv6 ([::1]) inside the router, set in
#   a config file, where SIGHUP turns per-client series on; a port already in use is one
#   clear start error.
source "$(dirname "$0")/lib.sh"
require_root
require_translator
[ "$TRANSLATOR" = mutd ] || skip "needs mutd"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
MUTCTL="$MUT_BIN_DIR/mutctl"
CHECK="$ROOT/Tests/shell/metrics-check.sh"
METRICS_PORT=9101

topology 2
for i in 1 2; do block_igmp "$i"; done
learn_neighbours
load_queue_rule

ctl() { "$MUTCTL" --socket "$MUTD_SOCKET" "$@"; }

# http NS METHOD URL NAME: one request with python's http.client; status and content type
# in $WORKDIR/NAME.status, the body in $WORKDIR/NAME.body.
http() {
	local ns=$1 method=$2 url=$3 name=$4
	in_ns "$ns" timeout 10 "$PYTHON" - "$method" "$url" "$WORKDIR/$name" <<-'PY'
	import http.client, sys, urllib.parse
	method, url, out = sys.argv[1:4]
	u = urllib.parse.urlsplit(url)
	conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
	conn.request(method, u.path)
	r = conn.getresponse()
	body = r.read()
	open(out + ".status", "w").write(f"{r.status} {r.getheader('Content-Type')} {r.getheader('Connection')}\n")
	open(out + ".body", "wb").write(body)
	PY
}
status_of() { cut -d' ' -f1 "$WORKDIR/$1.status" 2>/dev/null; }

# raw NS HOST BYTES NAME: send raw bytes, keep the answer's status line.
raw() {
	in_ns "$1" timeout 10 "$PYTHON" - "$2" "$METRICS_PORT" "$3" >"$WORKDIR/$4.status" <<-'PY'
	import socket, sys
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
	s.sendall(sys.argv[3].encode("latin-1").decode("unicode_escape").encode("latin-1"))
	data = b""
	while True:
	    chunk = s.recv(65536)
	    if not chunk: break
	    data += chunk
	print(data.split(b"\r\n", 1)[0].decode("latin-1"))
	PY
}

stream_round() {
	local count=$1 i; shift
	for i in "$@"; do start_sink "$i" --expect "$count"; done
	wait_sinks_ready "$@"
	send_stream "$count" 250
	sleep 0.5
	stop_sinks "$@"
}

# sockets_of PID: how many sockets the process holds.
sockets_of() { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

say "== scrape from a LAN client"
URL="http://$ROUTER_LAN_IP:$METRICS_PORT"
MUTD_ARGS=(--metrics-listen "$ROUTER_LAN_IP:$METRICS_PORT" --metrics-per-client --user nobody)
start_translator 1 2
check "the log names the endpoint" grep -q "metrics: http://$ROUTER_LAN_IP:$METRICS_PORT/metrics" "$TRANSLATOR_LOG"
check "mutd runs as nobody" eq "$(awk '/^Uid:/ { print $3 }' "/proc/$TRANSLATOR_PID/status")" "$(id -u nobody)"
stream_round 200 1 2
http "$(client_ns 1)" GET "$URL/metrics" get
check "GET /metrics: 200, exposition content type, Connection: close ($(cat "$WORKDIR/get.status"))" \
	eq "$(cat "$WORKDIR/get.status")" "200 text/plain; version=0.0.4; charset=utf-8 close"
sh "$CHECK" "$WORKDIR/get.body" >"$WORKDIR/check.out" 2>&1; rc=$?
if [ $rc -eq 77 ]; then say "  (prometheus_client missing: exposition not parsed)"; else
	check "the exposition parses: $(cat "$WORKDIR/check.out")" eq $rc 0; fi
client1="mut_client_copies_total{interface=\"lan0\",group=\"$GROUP\",client=\"$(client_ip 1)\",mac=\"$(client_mac 1)\"}"
check "per-client copies of client 1 = 200" eq "$(awk -v s="$client1" '$1 == s { print $2 }' "$WORKDIR/get.body")" 200
check "mut_copies_total = 400 (2 subscribers)" eq "$(awk '$1 == "mut_copies_total" { print $2 }' "$WORKDIR/get.body")" 400
ctl metrics >"$WORKDIR/ctl.prom"
check "mutctl metrics has the same families" eq "$(grep -c '^# TYPE' "$WORKDIR/ctl.prom")" "$(grep -c '^# TYPE' "$WORKDIR/get.body")"
http "$(client_ns 1)" HEAD "$URL/metrics" head
check "HEAD /metrics: 200, no body" eq "$(status_of head)/$(wc -c <"$WORKDIR/head.body")" "200/0"
http "$(client_ns 1)" GET "$URL/" root
check "GET /: 404" eq "$(status_of root)" 404
http "$(client_ns 1)" POST "$URL/metrics" post
check "POST /metrics: 405" eq "$(status_of post)" 405
raw "$(client_ns 2)" "$ROUTER_LAN_IP" '\x16\x03\x01\x00\xa5garbage\r\n\r\n' garbage
check "garbage: 400 ($(cat "$WORKDIR/garbage.status"))" eq "$(cut -d' ' -f2 "$WORKDIR/garbage.status")" 400

say "== 40 idle connections"
baseline=$(sockets_of "$TRANSLATOR_PID")
# The holder connects 40 sockets, sends nothing, and reports per socket how long after its
# connect and how it ended (the status mutd sent, or "closed" without one).
ip netns exec "$(client_ns 2)" "$PYTHON" - "$ROUTER_LAN_IP" "$METRICS_PORT" >"$WORKDIR/idle.json" 2>"$WORKDIR/idle.log" <<-'PY' &
import json, selectors, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
socks, connected = [], []
for _ in range(40):
    socks.append(socket.create_connection((host, port), timeout=5))
    connected.append(time.monotonic())
open("/dev/stderr", "w").write("connected\n")
sel = selectors.DefaultSelector()
for i, s in enumerate(socks):
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
ended, received = {}, {}
while len(ended) < len(socks) and time.monotonic() - start < 20:
    for key, _ in sel.select(timeout=0.5):
        data = received.setdefault(key.data, bytearray())
        try:
            while True:
                chunk = key.fileobj.recv(4096)
                if not chunk: break
                data += chunk
        except BlockingIOError:
            continue  # the answer came, its end (FIN) not yet
        except OSError as e:
            data += type(e).__name__.encode()
        sel.unregister(key.fileobj)
        ended[key.data] = (round(time.monotonic() - connected[key.data], 2), data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed: " + repr(bytes(data[:40])))
print(json.dumps({"ended": len(ended), "codes": sorted(c for _, c in ended.values()),
                  "times_408": sorted(t for t, c in ended.values() if c == "408"),
                  "max_503_s": max([t for t, c in ended.values() if c == "503"], default=None),
                  "others": sorted((t, c) for t, c in ended.values() if c not in ("408", "503"))}))
PY
HOLDER=$!
remember "$HOLDER"
wait_until 5 grep -q connected "$WORKDIR/idle.log" || fail "the idle holder did not connect: $(cat "$WORKDIR/idle.log")"
sleep 0.5
held=$(sockets_of "$TRANSLATOR_PID")
check "mutd holds at most 8 more sockets while 40 idle connections are open ($baseline -> $held)" le "$held" $((baseline + 8))
check "the control socket answers meanwhile" ctl status
stream_round 200 1 2
check "the data path delivers meanwhile: client 1 got 200 copies" eq "$(sink 1 capture.to_own_mac)" 200
check "the data path delivers meanwhile: client 2 got 200 copies" eq "$(sink 2 capture.to_own_mac)" 200
wait_until 25 test -s "$WORKDIR/idle.json" || fail "the idle holder did not finish"
forget "$HOLDER"
say "  idle connections: $(cat "$WORKDIR/idle.json")"
codes=$(json_get "$WORKDIR/idle.json" codes)
check "every idle connection was ended by mutd" eq "$(json_get "$WORKDIR/idle.json" ended)" 40
check "32 beyond the 8 kept were refused at once (503)" \
	eq "$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).count('503'))" "$codes")" 32
# Well before the kept ones' deadline; not at once when the accept queue overflowed and the
# kernel's SYN-ACK retransmission (1 s, then 2 s) held the connection back.
check "the refused ones ended within 4 s of their connect ($(json_get "$WORKDIR/idle.json" max_503_s) s)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 4)" "$(json_get "$WORKDIR/idle.json" max_503_s)"
check "the 8 kept ones ended 4 to 8 s after their connect (408: $(json_get "$WORKDIR/idle.json" times_408), other: $(json_get "$WORKDIR/idle.json" others))" \
	python3 -c "import json,sys; t=json.loads(sys.argv[1]) + [x for x, _ in json.loads(sys.argv[2])]; sys.exit(not (len(t) == 8 and all(4 <= x <= 8 for x in t)))" \
	"$(json_get "$WORKDIR/idle.json" times_408)" "$(json_get "$WORKDIR/idle.json" others)"
check "mutd is back to its baseline of sockets ($(sockets_of "$TRANSLATOR_PID") vs $baseline)" eq "$(sockets_of "$TRANSLATOR_PID")" "$baseline"
http "$(client_ns 1)" GET "$URL/metrics" after
check "GET /metrics after the flood: 200" eq "$(status_of after)" 200
stop_translator

say "== IPv6 literal from a config file, SIGHUP, and a port in use"
printf 'metrics-listen = [::1]:%s\n' "$METRICS_PORT" >"$WORKDIR/mutd.conf"
MUTD_ARGS=(--config "$WORKDIR/mutd.conf")
start_translator 1
http "$NS_RTR" GET "http://[::1]:$METRICS_PORT/metrics" v6
check "GET http://[::1]:$METRICS_PORT/metrics: 200" eq "$(status_of v6)" 200
check "no per-client series unless asked" eq "$(grep -c '^mut_client_' "$WORKDIR/v6.body")" 0
printf 'metrics-listen = [::1]:%s\nmetrics-per-client = yes\n' "$METRICS_PORT" >"$WORKDIR/mutd.conf"
kill -HUP "$TRANSLATOR_PID"
wait_until 5 grep -q "SIGHUP: reloaded" "$TRANSLATOR_LOG" || fail "no reload logged"
http "$NS_RTR" GET "http://[::1]:$METRICS_PORT/metrics" reloaded
check "after SIGHUP with metrics-per-client = yes: client 1's series" \
	grep -q "^mut_client_copies_total{interface=\"lan0\",group=\"$GROUP\",client=\"$(client_ip 1)\"" "$WORKDIR/reloaded.body"
in_ns "$NS_RTR" "$MUT_BIN_DIR/mutd" --interface lan0 --queue 7 --socket "$WORKDIR/second.sock" \
	--metrics-listen "[::1]:$METRICS_PORT" >"$WORKDIR/second.out" 2>&1; rc=$?
check "a second mutd on the same port exits 1 ($rc)" eq $rc 1
check "with one line naming the address: $(tail -n 1 "$WORKDIR/second.out")" \
	grep -q "metrics-listen \[::1\]:$METRICS_PORT: cannot listen: bind: Address already in use" "$WORKDIR/second.out"
stop_translator
finish
