#!/usr/bin/env bash
# The whole test suite: install dependencies, build with warnings as errors,
# run every meson suite (C unit tests, emulator, client and filesystem
# integration tests).  Usage:
#   scripts/test.sh               normal build in build/
#   scripts/test.sh --sanitize    AddressSanitizer + UBSan build in build-asan/
#   scripts/test.sh [--sanitize] --suite unit   (extra args go to meson test)
#   scripts/test.sh --valgrind    the unit tests and the fuzz corpus replay
#                                 under valgrind, then the integration
#                                 subset below with the daemon under
#                                 valgrind (build/); --valgrind=unit: only
#                                 the first part.  Zero errors and zero
#                                 definite or indirect leaks, else failure.
# Every mount and emulator started by the tests is cleaned up on exit, even
# on failure.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

# The integration tests run with the daemon under valgrind (docs/TESTING.md,
# "Valgrind"): listings, backups of every target form, errors, control
# files.
valgrind_subset=(
	tests/integration/test_tree.py
	tests/integration/test_backup.py
	tests/integration/test_errors.py
	tests/integration/test_ctl.py
)
valgrind_cmd="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
--suppressions=$src/tests/valgrind.supp"

builddir=build
setup_args=(-Dwerror=true)
valgrind=
case ${1:-} in
--valgrind) valgrind=all; shift ;;
--valgrind=unit) valgrind=unit; shift ;;
--valgrind=*) echo "test.sh: --valgrind or --valgrind=unit" >&2; exit 2 ;;
esac
if [[ -n $valgrind ]] && ! command -v valgrind >/dev/null; then
	echo "test.sh: valgrind is missing (scripts/setup.sh installs it)" >&2
	exit 1
fi
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
if [[ -z $valgrind ]]; then
	meson test -C "$builddir" --print-errorlogs "$@"
	exit 0
fi
meson test -C "$builddir" --print-errorlogs --suite unit --suite fuzz \
	--timeout-multiplier 10 --wrap="$valgrind_cmd" "$@"
if [[ $valgrind == all ]]; then
	OVFS_VALGRIND=1 OVFS_SOURCE_ROOT=$src OVFS_BUILD_ROOT=$src/$builddir \
		PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider -rfEs "${valgrind_subset[@]}"
fi
