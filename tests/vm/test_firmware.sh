#!/bin/sh
# test_firmware (noload): with its firmware missing or bad, rm_npu still
# loads and shows the device, but the PE nodes refuse to open (ENODEV),
# sysfs says why, and the kernel log has exactly one error line with the
# reason; a valid image (restored at the end, whatever happens) works.
# shellcheck source=tests/vm/npu-sh-lib.sh
. "$(dirname "$0")/npu-sh-lib"

FW=/lib/firmware/rm_npu/warboy.bin
SAVE=/tmp/$TEST.warboy.bin

[ -f "$FW" ] || { echo "$TEST: no $FW"; exit 1; }
loaded && { echo "$TEST: rm_npu is already loaded"; exit 1; }
cp "$FW" "$SAVE" || exit 1
# shellcheck disable=SC2317 # called by the EXIT trap
restore() {
	cp "$SAVE" "$FW"
	loaded && rmmod "$MODNAME" 2> /dev/null
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

# The nodes every unusable device still shows (default num_pes=2).
check_unusable() { # STATE
	for n in npu0 npu0pe0 npu0pe1 npu0pe0-1; do
		[ -c "/dev/$n" ] || fail "/dev/$n missing"
	done
	check_sysfs npu0 fw_state "$1"
	check_sysfs npu0 fw_version none
	check_sysfs npu0 fw_caps 0x0
	for n in npu0pe0 npu0pe1 npu0pe0-1; do
		check_sysfs "$n" state unavailable
		check_sysfs "$n" owner_pid 0
		open_fails "$n" "No such device"
	done
	# The management node still answers, with the state and no version.
	case $1 in missing) state_nr=1 ;; invalid) state_nr=2 ;; esac
	info=$(npu-hold --info npu0 2>&1) || fail "GET_INFO on npu0: $info"
	check_eq "GET_INFO fw_state" \
		"$(echo "$info" | sed -n 's/^fw_state //p')" "$state_nr"
	check_eq "GET_INFO fw_version" \
		"$(echo "$info" | sed -n 's/^fw_version //p')" 0x000000
	check_eq "GET_INFO fw_version_str" \
		"$(echo "$info" | sed -n 's/^fw_version_str //p')" ""
	check_eq "GET_INFO fw_caps" \
		"$(echo "$info" | sed -n 's/^fw_caps //p')" 0x0
}

# driver_errors MARK: error-level kernel log lines of rm_npu since MARK.
# Debian's firmware loader logs every failed lookup itself, under the
# device's name ("rm_npu rm_npu.0: firmware: failed to load
# rm_npu/warboy.bin (-2)", once per file name tried): those are not the
# driver's and are left out.
driver_errors() {
	klog_since "$1" | grep '^<[0-3]>' | grep 'rm_npu' |
		grep -v ': firmware: failed to load rm_npu/warboy\.bin '
}

# bad_case NAME STATE REASON [MODPARAMS...]: with the image now in place,
# npu0 is unusable in STATE and the only rm_npu error line is
# "rm_npu rm_npu.0: firmware rm_npu/warboy.bin REASON; npu0 is unusable"
# (REASON is a shell pattern).
bad_case() {
	name=$1 state=$2 reason=$3
	shift 3
	note "$name"
	mark "$name"
	if ! out=$(insmod "$MODULE" "$@" 2>&1); then
		fail "$name: insmod failed: $out"
		return
	fi
	check_unusable "$state"
	errors=$(driver_errors "$name")
	[ "$(printf '%s\n' "$errors" | wc -l)" -eq 1 ] ||
		fail "$name: more than one rm_npu error line: $errors"
	want="<3>rm_npu rm_npu.0: firmware rm_npu/warboy.bin $reason; npu0 is unusable"
	# shellcheck disable=SC2254 # $reason may be a pattern
	case $errors in
	$want) ;;
	*) fail "$name: rm_npu error lines are '$errors', expected '$want'" ;;
	esac
	unload
}

# good_case NAME [MODPARAMS...]: the image in place loads and works.
good_case() {
	name=$1
	shift
	note "$name"
	if ! out=$(insmod "$MODULE" "$@" 2>&1); then
		fail "$name: insmod failed: $out"
		return 1
	fi
	check_sysfs npu0 fw_state ready
	check_sysfs npu0pe0 state free
	open_ok npu0pe0
}

mkfw() {
	out=$(npu-mkfw "$@" -o "$FW" 2>&1) || fail "npu-mkfw $*: $out"
}

rm -f "$FW"
bad_case missing missing "not found (-2)"

for c in \
	"header-crc|header CRC mismatch (-22)" \
	"payload-crc|payload CRC mismatch (-22)" \
	"magic|bad magic (-22)" \
	"truncate|truncated: payload extends past end of image (-22)" \
	"arch|arch mismatch (-8)" \
	"version|unsupported format major version (-71)" \
	"pes|PE count is zero (-22)" \
	"reserved|reserved field not zero (-22)" \
	"trailing|trailing bytes after payload (-22)"
do
	mode=${c%%|*}
	mkfw --corrupt "$mode"
	bad_case "corrupt-$mode" invalid "rejected: ${c#*|}"
done

head -c 100 "$SAVE" > "$FW"
bad_case "short-file" invalid "rejected: truncated: image shorter than header (-22)"
head -c 1000 "$SAVE" > "$FW"
bad_case "cut-file" invalid "rejected: truncated: payload extends past end of image (-22)"
mkfw --arch kaboom
bad_case "other-arch" invalid "rejected: arch mismatch (-8)"
mkfw --pes 1
bad_case "fewer-pes" invalid \
	"rejected: firmware drives fewer PEs than the device has (-22)"
mkfw --pes 4
bad_case "fewer-pes-8" invalid \
	"rejected: firmware drives fewer PEs than the device has (-22)" num_pes=8

# The kernel's loader refuses an empty file (EINVAL): the image is there
# but unusable, so it is invalid rather than missing.
: > "$FW"
bad_case "empty-file" invalid "*(-22)"

note "missing firmware, two devices: one line each"
rm -f "$FW"
mark two-devices
if insmod "$MODULE" num_devices=2; then
	for d in 0 1; do
		check_sysfs "npu$d" fw_state missing
		open_fails "npu${d}pe0" "No such device"
	done
	errors=$(driver_errors two-devices)
	check_eq "rm_npu error lines" "$errors" "$(printf '%s\n%s' \
		"<3>rm_npu rm_npu.0: firmware rm_npu/warboy.bin not found (-2); npu0 is unusable" \
		"<3>rm_npu rm_npu.1: firmware rm_npu/warboy.bin not found (-2); npu1 is unusable")"
	unload
else
	fail "insmod num_devices=2"
fi

# Valid images other than the default.
mkfw --pes 1
good_case "exactly as many PEs" num_pes=1 && unload
mkfw --fw-version 2.3.4-rc1 --caps 0x7
if good_case "other version and caps"; then
	check_sysfs npu0 fw_version 2.3.4-rc1
	check_sysfs npu0 fw_caps 0x7
	info=$(npu-hold --info npu0)
	check_eq "GET_INFO fw_version" \
		"$(echo "$info" | sed -n 's/^fw_version //p')" 0x020304
	check_eq "GET_INFO fw_version_str" \
		"$(echo "$info" | sed -n 's/^fw_version_str //p')" 2.3.4-rc1
	unload
fi
# Capability bits the ABI does not have (opcodes, features) are not
# reported (the image format says: never used by the driver).
mkfw --caps 0x3ff
if good_case "unknown capability bits"; then
	check_sysfs npu0 fw_caps 0x1ff
	unload
fi

note "restored firmware"
cp "$SAVE" "$FW"
if good_case "restored"; then
	check_sysfs npu0 fw_version 1.0.0
	check_sysfs npu0 fw_caps 0x1ff
	open_ok npu0pe0-1
	unload
fi

finish
