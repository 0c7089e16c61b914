#!/usr/bin/env bash
# The whole test suite: install dependencies, build with warnings as errors,
# run every meson suite (C unit tests, emulator, client and filesystem
# integration tests).  Usage:
#   scripts/test.sh               normal build in build/
#   scripts/test.sh --sanitize    AddressSanitizer + UBSan build in build-asan/
#   scripts/test.sh [--sanitize] --suite unit   (extra args go to meson test)
# Every mount and emulator started by the tests is cleaned up on exit, even
# on failure.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

builddir=build
setup_args=(-Dwerror=true)
if [[ ${1:-} == --sanitize ]]; then
	shift
	builddir=build-asan
	setup_args+=(-Db_sanitize=address,undefined -Db_lundef=false
		-Dbuildtype=debug)
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	export LSAN_OPTIONS=suppressions=$src/tests/lsan_suppress.txt
fi

if [[ -z ${OVFS_NO_SETUP:-} ]]; then
	scripts/setup.sh
fi

# One scratch directory for every test mount, emulator state and log.
OVFS_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ovfs-test.XXXXXX")
export OVFS_TEST_TMP

cleanup() {
	local rc=$?
	# Unmount anything the tests left mounted below the scratch directory.
	awk -v d="$OVFS_TEST_TMP" '$2 ~ "^" d {print $2}' /proc/mounts |
		sort -r | while read -r m; do
			fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	# Stop daemons and emulators that still refer to the scratch directory.
	pkill -TERM -f -- "$OVFS_TEST_TMP" 2>/dev/null || true
	sleep 0.3
	pkill -KILL -f -- "$OVFS_TEST_TMP" 2>/dev/null || true
	rm -rf "$OVFS_TEST_TMP"
	exit $rc
}
trap cleanup EXIT INT TERM

if [[ -d $builddir ]]; then
	meson setup --reconfigure "$builddir" "${setup_args[@]}" >/dev/null
else
	meson setup "$builddir" "${setup_args[@]}"
fi
meson compile -C "$builddir"
meson test -C "$builddir" --print-errorlogs "$@"
