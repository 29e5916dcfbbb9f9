#!/usr/bin/env bash
# One round of the verification figures in BENCHMARKS.md, as a table row:
# `openssl speed sm2`, the sm2 crate (`yzt bench verify --reference`), the
# engine on fresh keys, a prepared key, and batches on 1 and 2 threads,
# measured back to back in one run so that the ratios compare like with
# like. OpenSSL and the sm2 crate are timed at the start and the end and
# averaged; the 1-thread batch before and after the 2-thread one.
#
# Usage: benches/verify_rounds.sh [ROUNDS [SECONDS]]  (OpenSSL takes whole
# seconds, at least 1; from the repository
# root, after `cargo build --release --bin yzt`; CARGO_TARGET_DIR honoured)
set -euo pipefail
rounds=${1:-3}
secs=${2:-2}
yzt=${CARGO_TARGET_DIR:-target}/release/yzt
rate() { "$yzt" bench verify --seconds "$secs" "$@" | sed 's/.*"ops_per_s":\([0-9.]*\).*/\1/'; }
osecs=$(awk -v s="$secs" 'BEGIN {printf "%d", (s < 1 ? 1 : s + 0.5)}') # whole seconds
openssl_rate() { openssl speed -seconds "$osecs" sm2 2>/dev/null | awk '/SM2/ {print $NF}'; }
echo "| round | OpenSSL verify/s | sm2 crate /s | engine, fresh keys /s | prepared key /s | batch, 1 thread /s | batch, 2 threads /s |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
    o1=$(openssl_rate)
    c1=$(rate --reference)
    fresh=$(rate)
    same=$(rate --same-key)
    b1=$(rate --threads 1)
    b2=$(rate --threads 2)
    b1b=$(rate --threads 1)
    c2=$(rate --reference)
    o2=$(openssl_rate)
    awk -v r="$r" -v o1="$o1" -v o2="$o2" -v c1="$c1" -v c2="$c2" -v f="$fresh" \
        -v s="$same" -v b1="$b1" -v b1b="$b1b" -v b2="$b2" 'BEGIN {
        o = (o1 + o2) / 2; c = (c1 + c2) / 2; b = (b1 + b1b) / 2
        printf "| %d | %.1f / %.1f | %.1f / %.1f | %.1f (%.2fx crate, %.2fx OpenSSL) | %.1f (%.2fx, %.2fx) | %.1f / %.1f | %.1f (%.2fx 1 thread, %.2fx crate, %.2fx OpenSSL) |\n",
            r, o1, o2, c1, c2, f, f / c, f / o, s, s / c, s / o, b1, b1b, b2, b2 / b, b2 / c, b2 / o
    }'
done
