#!/usr/bin/env bash
# Builds the libFuzzer targets in Tests/Fuzz (each Fuzz<Name>.swift compiled with all of
# Sources/MUTCore and the shared harnesses in Tests/Fuzz/Harness as one module, under
# AddressSanitizer) into .build-fuzz/, then runs each for
# SECONDS seconds starting from its committed seed corpus Tests/Fuzz/corpus/<name>/.
# New corpus entries go to .build-fuzz/corpus/<name>/ (not committed); a crash leaves
# .build-fuzz/crash-<name>-* and makes this script fail.
#   tools/fuzz.sh [SECONDS] [TARGET...]     default 20 s, every target
# The compiler: SWIFTC, else the swiftc beside SWIFT (default: `swift` on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SWIFTC:-}" ]; then
    swift_path=$(command -v "${SWIFT:-swift}") || { echo "fuzz: no swift on PATH (set SWIFT=/path/to/swift or SWIFTC=)"; exit 1; }
    SWIFTC="$(dirname "$swift_path")/swiftc"
fi

seconds="${1:-20}"; shift || true
out=.build-fuzz
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in Tests/Fuzz/Fuzz*.swift; do n="${f##*/Fuzz}"; targets+=("${n%.swift}"); done
fi

mapfile -t core < <(find Sources/MUTCore Tests/Fuzz/Harness -name '*.swift' | sort)
build() {  # name
    local name="$1" binary="$out/fuzz-$1"
    # Rebuild only when a source is newer than the binary.
    if [ -x "$binary" ] && [ -z "$(find "${core[@]}" "Tests/Fuzz/Fuzz$name.swift" -newer "$binary" | head -1)" ]; then
        return
    fi
    echo "fuzz: building $name"
    # -parse-as-library: the target file has no top-level code; libFuzzer provides main.
    # MUT_FUZZ_SINGLE_MODULE: the harnesses, which import MUTCore in the unit tests, are part of it here.
    # The build log is shown only on failure: gold warns about ASan's local symbols every time.
    if ! "$SWIFTC" -parse-as-library -module-name MUTCore -D MUT_FUZZ_SINGLE_MODULE -O -g -sanitize=fuzzer,address \
        -module-cache-path "$out/module-cache" \
        "${core[@]}" "Tests/Fuzz/Fuzz$name.swift" -o "$binary" >"$out/build-$name.log" 2>&1; then
        grep -v "Cannot export local symbol" "$out/build-$name.log"; echo "fuzz: building $name FAILED"; exit 1
    fi
}

status=0
for name in "${targets[@]}"; do
    build "$name"
    seeds="Tests/Fuzz/corpus/$name"
    work="$out/corpus/$name"
    mkdir -p "$work"
    log="$out/fuzz-$name.log"
    start=$(date +%s)
    # -rss_limit_mb: a target whose memory grows without bound is a finding too.
    if "$out/fuzz-$name" "$work" "$seeds" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crash-$name-" >"$log" 2>&1; then
        result=ok
    else
        result=FAILED; status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz: $name $result: $runs executions in $(( $(date +%s) - start )) s, $cov (log $log)"
    if [ "$result" = FAILED ]; then tail -40 "$log"; ls "$out"/crash-"$name"-* 2>/dev/null || true; fi
done
exit $status
