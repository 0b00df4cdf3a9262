#!/usr/bin/env bash
# The C wire core (csrc/pool_http.c) on its own, from a fresh clone:
#  1. pool_http.c alone at -O2 -pedantic, warnings as errors;
#  2. tests/c/test_pool_http.c under AddressSanitizer + UndefinedBehaviorSanitizer,
#     and once more optimised without them;
#  3. the libFuzzer targets in tests/fuzz/ for POOL_FUZZ_SECONDS seconds each
#     (default 30), when clang can link -fsanitize=fuzzer; else a notice.
#     With CI=true and clang missing, clang is installed with apt-get first.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

CC="${CC:-gcc}"
FUZZ_SECONDS="${POOL_FUZZ_SECONDS:-30}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)

echo "== pool_http.c alone: -std=c99 -O2 -Wall -Wextra -Werror -pedantic"
"$CC" -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Icsrc -c csrc/pool_http.c -o "$work/pool_http.o"

echo "== C tests under ASan/UBSan"
"$CC" -std=c99 -O1 -g -Wall -Wextra -Werror "${SAN[@]}" -Icsrc \
    tests/c/test_pool_http.c csrc/pool_http.c -o "$work/test_san"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$work/test_san" | tail -n 3

echo "== C tests at -O2, no sanitizers"
"$CC" -std=c99 -O2 -Wall -Wextra -Werror -Icsrc tests/c/test_pool_http.c csrc/pool_http.c -o "$work/test_o2"
"$work/test_o2" | tail -n 1

echo "== fuzzing (${FUZZ_SECONDS}s per target)"
if ! command -v clang >/dev/null 2>&1 && [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null || true
fi
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    >"$work/probe.c"
if ! command -v clang >/dev/null 2>&1 \
    || ! clang -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
    echo "fuzzing skipped: no clang with libFuzzer (-fsanitize=fuzzer) here"
    exit 0
fi

total=0
for target in head chunked request; do
    bin="$work/fuzz_$target"
    clang -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer "${SAN[@]}" -Icsrc \
        "tests/fuzz/fuzz_$target.c" csrc/pool_http.c -o "$bin"
    # New inputs go to a scratch corpus; the committed seeds are only read.
    mkdir -p "$work/corpus_$target" "$work/artifacts_$target"
    log="$work/fuzz_$target.log"
    if ! ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=32 "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=1024 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/artifacts_$target/" \
        "$work/corpus_$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
        tail -n 40 "$log"
        for f in "$work/artifacts_$target"/*; do
            [ -f "$f" ] || continue
            echo "-- reproducer $f (hex):"
            od -An -tx1 -v "$f" | head -n 40
        done
        echo "FAIL: fuzz_$target"
        exit 1
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
    echo "fuzz_$target: ${runs:-?} executions, ${cov:-cov: ?}, no failure"
    total=$((total + ${runs:-0}))
done
echo "fuzzing: $total executions in total"
