#!/usr/bin/env bash
# Install every build and test dependency of ocivaultfs from Debian packages.
# Idempotent: does nothing when everything is already installed.
# Python tools run with /usr/bin/python3 (Debian's), never from PyPI.
set -euo pipefail

packages=(
	gcc pkg-config meson ninja-build
	fuse3 libfuse3-dev
	libcurl4-openssl-dev libssl-dev libcjson-dev
	python3 python3-pytest python3-cryptography
	libglib2.0-bin # gio, for the GLib save tests
	openssl ca-certificates curl procps psmisc util-linux
	valgrind # scripts/test.sh --valgrind
	clang libclang-rt-dev # scripts/fuzz: clang and its libFuzzer runtime
	clang-format # scripts/check-format (suite lint)
	vim nano tmux rsync # editor and recursive-reader tests (test_workstation)
	libsystemd-dev # sd_notify() for the Type=notify unit
	systemd # systemd-analyze verify of the units (tests/integration/test_mount.py)
)

want=("${packages[@]}")

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "setup: all dependencies present"
	exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
