#!/bin/sh
# test_modload (noload): rm_npu loads and unloads cleanly with varied
# parameters, refuses rmmod while a node is open or a buffer is mapped, and
# rejects out-of-range parameters with one exact kernel log line.
# shellcheck source=tests/vm/npu-sh-lib.sh
. "$(dirname "$0")/npu-sh-lib"

# count GLOB: how many paths the glob matches.
count() {
	cnt=0
	for f in "$@"; do
		[ -e "$f" ] && cnt=$((cnt + 1))
	done
	echo $cnt
}

# expect_loaded DEVICES PES MEM_MIB: parameters, nodes and device facts.
expect_loaded() {
	devs=$1 pes=$2 mib=$3
	check_param num_devices "$devs"
	check_param num_pes "$pes"
	check_param mem_mib "$mib"
	per_dev=$((1 + pes + pes / 2))
	check_eq "number of /dev/npu* nodes" "$(count /dev/npu*)" \
		$((devs * per_dev))
	check_eq "number of /sys/class/npu entries" \
		"$(count /sys/class/npu/npu*)" $((devs * per_dev))
	d=0
	while [ $d -lt "$devs" ]; do
		check_sysfs "npu$d" fw_state ready
		check_sysfs "npu$d" num_pes "$pes"
		check_sysfs "npu$d" mem_total $((mib * 1048576))
		open_ok "npu$d"
		open_ok "npu${d}pe$((pes - 1))"
		d=$((d + 1))
	done
}

expect_unloaded() {
	! loaded || fail "$1: rm_npu is loaded"
	[ ! -e /sys/class/npu ] || fail "$1: /sys/class/npu still exists"
	[ "$(count /dev/npu*)" -eq 0 ] || fail "$1: /dev still has" /dev/npu*
}

# rmmod_refused WHY: rmmod must fail because the module is in use.
rmmod_refused() {
	if out=$(rmmod "$MODNAME" 2>&1); then
		fail "rmmod succeeded $1"
		return
	fi
	case $out in
	*"Resource temporarily unavailable"*) ;;
	*) fail "rmmod $1: '$out', expected EAGAIN (module in use)" ;;
	esac
	loaded || fail "rm_npu gone after a refused rmmod ($1)"
}

loaded && { echo "$TEST: rm_npu is already loaded"; exit 1; }

note "load/unload cycles"
for p in "1 2 256" "2 4 256" "1 1 1" "16 8 4096" "3 3 64"; do
	# shellcheck disable=SC2086 # split on purpose
	set -- $p
	params="num_devices=$1 num_pes=$2 mem_mib=$3"
	[ "$p" = "1 2 256" ] && params=	# the defaults
	# shellcheck disable=SC2086
	if ! out=$(insmod "$MODULE" $params 2>&1); then
		fail "insmod $params: $out"
		continue
	fi
	expect_loaded "$1" "$2" "$3"
	unload
	expect_unloaded "after rmmod ($params)"
done

note "rmmod while a PE node is open"
insmod "$MODULE" || fail "insmod"
exec 3< /dev/npu0pe0
check_sysfs npu0pe0 state open
rmmod_refused "with /dev/npu0pe0 open"
check_sysfs npu0pe0 state open
exec 3<&-
check_sysfs npu0pe0 state free

note "rmmod while the management node is open"
exec 4< /dev/npu0
rmmod_refused "with /dev/npu0 open"
exec 4<&-
unload

note "rmmod while a buffer object is mapped (its fd closed)"
insmod "$MODULE" || fail "insmod"
# The command runs while npu-hold keeps a 64 KiB buffer mapped.
# shellcheck disable=SC2016 # expanded by the inner sh
npu-hold --bo 65536 --map --close npu0pe0 -- sh -c '
	. "$0"
	check_sysfs npu0 mem_used 65536
	check_sysfs npu0 bo_count 1
	check_sysfs npu0pe0 state open
	if out=$(rmmod rm_npu 2>&1); then
		fail "rmmod succeeded with a mapped buffer"
	fi
	loaded || fail "rm_npu gone"
	exit $nfail' "$(dirname "$0")/npu-sh-lib"
st=$?
[ $st -eq 0 ] || fail "checks while the buffer was mapped (status $st)"
check_sysfs npu0 mem_used 0
check_sysfs npu0 bo_count 0
unload
expect_unloaded "after the mapping went away"

note "invalid parameters"
n=0
for case in \
	"num_devices=0|rm_npu: num_devices=0 is out of range 1..16" \
	"num_devices=17|rm_npu: num_devices=17 is out of range 1..16" \
	"num_pes=0|rm_npu: num_pes=0 is out of range 1..8" \
	"num_pes=9|rm_npu: num_pes=9 is out of range 1..8" \
	"mem_mib=0|rm_npu: mem_mib=0 is out of range 1..4096" \
	"mem_mib=5000|rm_npu: mem_mib=5000 is out of range 1..4096" \
	"ops_isa=sse9|rm_npu: ops_isa=sse9 is not one of auto, scalar, avx2, avx512" \
	"num_pes=abc|rm_npu: \`abc' invalid for parameter \`num_pes'" \
	"num_devices=-1|rm_npu: \`-1' invalid for parameter \`num_devices'"
do
	param=${case%%|*} line=${case#*|}
	n=$((n + 1))
	mark "bad$n"
	if out=$(insmod "$MODULE" "$param" 2>&1); then
		fail "insmod $param succeeded"
		rmmod "$MODNAME"
		continue
	fi
	case $out in
	*"Invalid argument"*) ;;
	*) fail "insmod $param: '$out', expected EINVAL" ;;
	esac
	expect_unloaded "after insmod $param"
	# busybox insmod retries a failed finit_module() with init_module(),
	# so the module's init may run (and print) twice: the same line.
	got=$(klog_since "bad$n" | sed 's/^<[0-9]*>//' | grep '^rm_npu' | uniq)
	check_eq "kernel log after insmod $param" "$got" "$line"
done

note "loads again after the failures"
insmod "$MODULE" num_pes=8 || fail "insmod num_pes=8"
expect_loaded 1 8 256
unload

finish
