#!/usr/bin/env bash
# The C side of the FFI tests, run by .ci/run after the workspace is built:
# makes fixtures with the CLI, compiles the C test with -Wall -Werror under
# ASan/UBSan and runs it, compiles it plain and runs it under valgrind, then
# builds the C example against the shared library and checks it against the
# CLI both ways. Prints the C test's "N passed, N failed" lines.
#
# Usage: ffi/tests/run-c-tests.sh VECTORS_DIR   (from the repository root;
# CARGO_TARGET_DIR honoured; expects `cargo build --workspace` done)
set -euo pipefail
vectors=$(cd "$1" && pwd)
target=${CARGO_TARGET_DIR:-target}
lib_dir=$(cd "$target/debug" && pwd)
yzt="$lib_dir/yzt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fixtures: a root, an issuing CA, end entities (a good one with its
# encryption pair, a revoked one, a platform, a seal maker), a seal, a CRL.
# shellcheck source=ffi/tests/fixtures.sh
source "$(dirname "$0")/fixtures.sh"
make_fixtures "$work" "$yzt"

cflags=(-std=c11 -Wall -Wextra -Werror -g -I include)
libs=("$lib_dir/libyizhengtong_ffi.a" -lpthread -ldl -lm)

echo "C test under ASan/UBSan"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    ffi/tests/c/test_ffi.c "${libs[@]}" -o "$work/test_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$work/test_asan" "$vectors" "$work" 2>"$work/asan.err" || {
    cat "$work/asan.err" >&2
    exit 1
}

echo "C test under valgrind"
gcc "${cflags[@]}" ffi/tests/c/test_ffi.c "${libs[@]}" -o "$work/test_plain"
valgrind -q --leak-check=full --error-exitcode=1 \
    "$work/test_plain" "$vectors" "$work" 2>"$work/valgrind.err" || {
    cat "$work/valgrind.err" >&2
    exit 1
}

echo "C example against the shared library, checked with the CLI both ways"
gcc "${cflags[@]}" ffi/examples/c/sign_file.c -L "$lib_dir" -lyizhengtong_ffi \
    -Wl,-rpath,"$lib_dir" -o "$work/sign_file"
printf 'tender document\n' >"$work/doc.txt"
"$work/sign_file" sign "$work/good.key.pem" "$work/doc.txt" "$work/doc.sig"
"$work/sign_file" verify "$work/good.pub.pem" "$work/doc.txt" "$work/doc.sig" >/dev/null
"$yzt" verify --pub "$work/good.pub.pem" --sig "$work/doc.sig" --in "$work/doc.txt" >/dev/null
"$yzt" sign --key "$work/good.key.pem" --in "$work/doc.txt" --out "$work/cli.sig"
"$work/sign_file" verify "$work/good.pub.pem" "$work/doc.txt" "$work/cli.sig" >/dev/null
printf 'tampered\n' >"$work/doc.txt"
if "$work/sign_file" verify "$work/good.pub.pem" "$work/doc.txt" "$work/doc.sig" >/dev/null; then
    echo "the example accepted a tampered file" >&2
    exit 1
fi
echo "example: 5 passed, 0 failed"
