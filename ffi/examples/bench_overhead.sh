#!/usr/bin/env bash
# The overhead of one SM2 verify call through the C ABI, a C program and
# Java (JNI) against the Rust call, for BENCHMARKS.md. Runs the three
# benches (bench_verify.rs, c/bench_verify.c, ../java/examples/BenchVerify.java)
# in interleaved rounds, so that a change in the machine's load hits every
# variant alike, and prints each variant's median and its ratio to the Rust
# call doing the same work (parse the DER signature, verify; with a fresh
# public key or a prepared verifier).
#
# Usage: ffi/examples/bench_overhead.sh [ROUNDS [SECONDS]]   (from the
# repository root; CARGO_TARGET_DIR honoured; needs gcc and a JDK)
set -euo pipefail
rounds=${1:-7}
seconds=${2:-1}
target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p yizhengtong-ffi --lib --example bench_verify
rel=$(cd "$target/release" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -O2 -I include ffi/examples/c/bench_verify.c -L "$rel" -lyizhengtong_ffi \
    -Wl,-rpath,"$rel" -o "$work/bench_c"
javac --release 11 -d "$work/classes" ffi/java/src/cn/yizhengtong/*.java \
    ffi/java/examples/BenchVerify.java

for r in $(seq "$rounds"); do
    echo "round $r/$rounds" >&2
    "$rel/examples/bench_verify" "$seconds"
    "$work/bench_c" "$seconds"
    java -Djava.library.path="$rel" -cp "$work/classes" BenchVerify "$seconds"
done >"$work/raw.txt"

median() { # the median µs/call of the lines whose label starts with $1
    grep -F "$1" "$work/raw.txt" | awk '{print $(NF-3)}' | sort -n |
        awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'
}
row() { # label, baseline label
    local m b
    m=$(median "$1")
    b=$(median "$2")
    awk -v l="$1" -v m="$m" -v b="$b" \
        'BEGIN {printf "| %s | %.2f | %.2f | %+.2f |\n", l, m, m/b, m-b}'
}
echo "$rounds interleaved rounds of $seconds s per variant; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| call | median µs | ratio to Rust | difference µs |"
echo "|---|---:|---:|---:|"
base="Rust: verify::verify"
for l in "$base" "C ABI: yzt_verify" "C program: yzt_verify" "Java: PublicKey.verify"; do
    row "$l" "$base"
done
base="Rust: VerifyingKey::verify"
for l in "$base" "C ABI: yzt_verifier_verify" "C program: yzt_verifier_verify" \
    "Java: Verifier.verify"; do
    row "$l" "$base"
done
base="Rust: sm3"
for l in "$base" "C ABI: yzt_sm3" "C program: yzt_sm3" "Java: Sm3.digest"; do
    row "$l" "$base"
done
echo
echo "every round (µs/call):"
awk '{printf "%s ", $(NF-3)} /Sm3.digest/ {print ""}' "$work/raw.txt"
