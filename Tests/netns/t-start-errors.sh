#!/usr/bin/env bash
# mutd refuses to start, with a non-zero exit and one line naming the cause, when:
#   - the interface does not exist,
#   - the queue is already bound by another process (a first mutd),
#   - --metrics-listen is not ADDR:PORT (exit 2), or an address this host lacks,
#   - it lacks privilege (runs as nobody without capabilities).
# mutd only: skipped when $MUT_BIN_DIR/mutd is not built.
source "$(dirname "$0")/lib.sh"
require_root
MUTD="$MUT_BIN_DIR/mutd"
[ -x "$MUTD" ] || skip "$MUTD not built"
[ "${MUT_TRANSLATOR:-mutd}" = mutd ] || skip "start errors are mutd's, not $MUT_TRANSLATOR's"

topology 2
learn_neighbours
load_queue_rule

# run_mutd NAME [PREFIX...] -- MUTD ARGS: run to exit (bounded), record status and stderr.
run_mutd() {
	local name=$1; shift
	local prefix=()
	while [ "$1" != -- ]; do prefix+=("$1"); shift; done; shift
	timeout --kill-after=2 10 ip netns exec "$NS_RTR" "${prefix[@]}" "$MUTD" "$@" \
		>"$WORKDIR/$name.out" 2>"$WORKDIR/$name.log"
	STATUS=$?
	MESSAGE=$(grep -v '^[[:space:]]*$' "$WORKDIR/$name.log" | tail -n 1)
	say "  $name: exit $STATUS, last line: $MESSAGE"
}

exited_with_error() { [ "$STATUS" -ne 0 ] && [ "$STATUS" -ne 124 ] && [ "$STATUS" -ne 137 ]; }
message_matches() { grep -qiE "$1" "$WORKDIR/$2.log"; }

STATIC=(--static "$GROUP,$(client_ip 1)")

say "unknown interface:"
run_mutd nosuch -- --interface nosuch0 --queue 0 "${STATIC[@]}" --socket "$WORKDIR/nosuch.sock"
check "unknown interface: exits non-zero (not killed by the time limit)" exited_with_error
check "unknown interface: message names nosuch0" message_matches 'nosuch0' nosuch

say "queue already bound:"
start_translator 1
run_mutd second -- --interface lan0 --queue 0 "${STATIC[@]}" --socket "$WORKDIR/second.sock"
check "queue in use: exits non-zero" exited_with_error
check "queue in use: message says the queue is taken" message_matches 'already bound|in use|busy' second
check "queue in use: the first mutd keeps running" translator_alive
stop_translator

say "bad --metrics-listen:"
run_mutd badlisten -- --interface lan0 --queue 0 --socket "$WORKDIR/badlisten.sock" --metrics-listen 10.10.2.1
check "ADDR without :PORT: exit 2" eq "$STATUS" 2
check "ADDR without :PORT: one line naming it" message_matches "metrics-listen '10\.10\.2\.1': no port" badlisten
check "ADDR without :PORT: nothing else said" eq "$(grep -c . "$WORKDIR/badlisten.log")" 1
run_mutd notmine -- --interface lan0 --queue 0 --socket "$WORKDIR/notmine.sock" --metrics-listen 10.99.99.99:9101
check "an address this host lacks: exits non-zero" exited_with_error
check "an address this host lacks: message names it" message_matches 'metrics-listen 10\.99\.99\.99:9101: cannot listen' notmine

say "no privilege:"
# nobody must be able to reach the binary, or we would test the file system.
PRIVATE_COPY="$WORKDIR/mutd"
cp "$MUTD" "$PRIVATE_COPY" && chmod 755 "$PRIVATE_COPY"
SOCKET_DIR="$WORKDIR/nobody"; mkdir -m 1777 "$SOCKET_DIR"
DROP=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
ip netns exec "$NS_RTR" "${DROP[@]}" test -x "$PRIVATE_COPY" || skip "nobody cannot execute $PRIVATE_COPY"
MUTD="$PRIVATE_COPY"
run_mutd nobody "${DROP[@]}" -- --interface lan0 --queue 0 "${STATIC[@]}" --socket "$SOCKET_DIR/mutd.sock"
check "no privilege: exits non-zero" exited_with_error
check "no privilege: message says permission/privilege" message_matches 'permission|privilege|not permitted|CAP_NET_ADMIN' nobody
finish
