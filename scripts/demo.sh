#!/usr/bin/env bash
# The main job, end to end and offline: install dependencies, build, start
# the OCI emulator with the sample tenancy, mount it, show the tree, back
# up one key by bucket name and one through a pre-authenticated request
# (PAR) with `echo`, and follow `status` to the end.  On a terminal the
# mount stays up until Ctrl-C; without one the demo exits after the run.
# Everything is cleaned up on exit (mount, emulator, scratch directory).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

[[ -n ${OVFS_NO_SETUP:-} ]] || scripts/setup.sh
if [[ ! -d build ]]; then
	meson setup build >/dev/null
fi
meson compile -C build >/dev/null
echo "demo: built $(build/ocivaultfs -V | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ocivaultfs-demo.XXXXXX")
state=$work/emulator
mnt=$work/mnt
mkdir -p "$state" "$mnt"
emu_pid=
fs_pid=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if mountpoint -q "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" || true
	fi
	[[ -z $fs_pid ]] || wait "$fs_pid" 2>/dev/null || true
	if [[ -n $emu_pid ]]; then
		kill -TERM "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# 1. The emulator: HTTPS on 127.0.0.1, real signature checks, sample
#    tenancy, backups that take 4 seconds.
coproc EMU { exec /usr/bin/python3 scripts/oci-emulator --state-dir "$state" \
	--tenancy sample --backup-seconds 4 2>"$work/emulator.log"; }
emu_pid=$EMU_PID
read -r ready endpoint <&"${EMU[0]}"
[[ $ready == ready ]] || { echo "demo: the emulator did not start" >&2; exit 1; }
echo "demo: OCI emulator at $endpoint (config: $state/config)"

# 2. Mount it, as a user would mount real OCI (config, profile, endpoint).
step ocivaultfs -o config=$state/config,endpoint=$endpoint,cacert=$state/ca.pem $mnt
build/ocivaultfs -f -o "config=$state/config,endpoint=$endpoint,cacert=$state/ca.pem" \
	"$mnt" 2>"$work/ocivaultfs.log" &
fs_pid=$!
for _ in $(seq 100); do
	mountpoint -q "$mnt" && break
	kill -0 "$fs_pid" 2>/dev/null || { cat "$work/ocivaultfs.log" >&2; exit 1; }
	sleep 0.1
done
cd "$mnt"

step ls -l
ls -l
step find compartments/Production -maxdepth 4
find compartments/Production -maxdepth 4
keys=compartments/Production/vaults/prod-vault/keys
step ls -l $keys
ls -l "$keys"

# 3. A backup by bucket name: the namespace is looked up, the object is
#    named from the template.
step "cat $keys/hr-master/status"
cat "$keys/hr-master/status"
step "echo backups > $keys/hr-master/backup"
echo backups > "$keys/hr-master/backup"
cat "$keys/hr-master/status"

# 4. A backup through a PAR.  On real OCI you would create it with
#    `oci os preauth-request create`; the emulator has an admin call.
par=$(curl -sS --cacert "$state/ca.pem" -X POST "$endpoint/_emulator/pars" \
	-d '{"bucket": "backups", "accessType": "AnyObjectWrite", "expiresInSeconds": 3600}' |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["fullUrl"])')
step "echo https://127.0.0.1:.../p/<token>/n/.../b/backups/o/ > $keys/payments-master/backup"
echo "$par" > "$keys/payments-master/backup"

# 5. Follow both to the end.
for key in hr-master payments-master; do
	while :; do
		line=$(grep -E '^(state|progress):' "$keys/$key/status" | paste -sd' ')
		printf '  %-16s %s\n' "$key" "$line"
		case $line in *succeeded* | *failed*) break ;; esac
		sleep 1
	done
done
step "cat $keys/payments-master/wait"
cat "$keys/payments-master/wait"
step cat .ocivaultfs/backups
cat .ocivaultfs/backups
step "curl .../_emulator/objects   # what landed in Object Storage"
curl -sS --cacert "$state/ca.pem" "$endpoint/_emulator/objects"
echo

# 6. The round trip: the key is lost (deleted through the emulator's admin
#    API), then restored from its backup through the vault's `restore`.
vault=${keys%/keys}
hr_id=$(cat "$keys/hr-master/id")
hr_obj=$(sed -n 's/^object: [^/]*\///p' "$keys/hr-master/status")
step "curl -X DELETE .../_emulator/keys/$hr_id   # the key is lost"
curl -sS --cacert "$state/ca.pem" -X DELETE "$endpoint/_emulator/keys/$hr_id" >/dev/null
step "echo $hr_obj > $vault/restore"
echo "$hr_obj" > "$vault/restore"
step "cat $vault/restore-wait"
cat "$vault/restore-wait"
step "ls $keys   # hr-master is back, same OCID, DISABLED as it was"
ls "$keys"
cat "$keys/hr-master/id"
cd "$src"

if [[ -t 0 && -t 1 ]]; then
	echo
	echo "demo: the tenancy is mounted at $mnt; try it in another terminal:"
	echo "  cd $mnt/$keys && echo backups > app\\ signing/backup && cat app\\ signing/wait"
	echo "demo: press Ctrl-C to unmount and stop the emulator"
	while kill -0 "$fs_pid" 2>/dev/null; do sleep 1; done
else
	echo "demo: done (no terminal: unmounting)"
fi
