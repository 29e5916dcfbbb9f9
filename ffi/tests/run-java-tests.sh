#!/usr/bin/env bash
# The Java side of the FFI tests, run by .ci/run after the C tests: makes the
# fixtures with the CLI, compiles the cn.yizhengtong classes, the test and the
# example with javac -Werror -Xlint:all, runs the test against the debug
# build's libyizhengtong_ffi.so with the JVM's JNI checks on (-Xcheck:jni; any
# warning fails), then checks the example against the CLI both ways. Prints
# the test's "N passed, N failed" line and the example's.
#
# Usage: ffi/tests/run-java-tests.sh VECTORS_DIR   (from the repository root;
# CARGO_TARGET_DIR honoured; expects `cargo build --workspace` done and a JDK
# 11 or later: .ci/run installs Debian's default-jdk-headless when javac is
# missing)
set -euo pipefail
vectors=$(cd "$1" && pwd)
target=${CARGO_TARGET_DIR:-target}
lib_dir=$(cd "$target/debug" && pwd)
yzt="$lib_dir/yzt"
java_dir=ffi/java
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=ffi/tests/fixtures.sh
source "$(dirname "$0")/fixtures.sh"
make_fixtures "$work" "$yzt"

echo "Java: compile ($(javac -version 2>&1))"
javac -Werror -Xlint:all -Xdoclint:all/protected --release 11 -d "$work/classes" \
    "$java_dir"/src/cn/yizhengtong/*.java
javac -Werror -Xlint:all --release 11 -cp "$work/classes" -d "$work/classes" \
    "$java_dir"/test/cn/yizhengtong/*.java "$java_dir"/examples/SignFile.java

echo "Java test (-Xcheck:jni)"
java_run=(java -ea -Xcheck:jni -Djava.library.path="$lib_dir" -cp "$work/classes")
status=0
"${java_run[@]}" cn.yizhengtong.TestYzt "$vectors" "$work" include/yizhengtong.h "$yzt" \
    >"$work/test.out" 2>"$work/test.err" || status=$?
if grep -q "WARNING in native method\|FATAL ERROR in native method" "$work/test.out" "$work/test.err"; then
    grep -h -A3 "in native method" "$work/test.out" "$work/test.err" | head -40 >&2
    echo "the JVM's JNI checks complained" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    cat "$work/test.err" >&2
fi
tail -n 1 "$work/test.out"
[ "$status" -eq 0 ] || exit "$status"

echo "Java example against the shared library, checked with the CLI both ways"
sign_file=("${java_run[@]}" SignFile)
printf 'tender document\n' >"$work/doc.txt"
"${sign_file[@]}" sign "$work/good.key.pem" "$work/doc.txt" "$work/doc.sig"
"${sign_file[@]}" verify "$work/good.pub.pem" "$work/doc.txt" "$work/doc.sig" >/dev/null
"$yzt" verify --pub "$work/good.pub.pem" --sig "$work/doc.sig" --in "$work/doc.txt" >/dev/null
"$yzt" sign --key "$work/good.key.pem" --in "$work/doc.txt" --out "$work/cli.sig"
"${sign_file[@]}" verify "$work/good.pub.pem" "$work/doc.txt" "$work/cli.sig" >/dev/null
printf 'tampered\n' >"$work/doc.txt"
if "${sign_file[@]}" verify "$work/good.pub.pem" "$work/doc.txt" "$work/doc.sig" >/dev/null; then
    echo "the Java example accepted a tampered file" >&2
    exit 1
fi
echo "java example: 5 passed, 0 failed"
