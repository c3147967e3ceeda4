# npu-sh-lib: helpers sourced by the VM shell tests (tests/vm/test_*.sh),
# not a test itself: checks that count failures instead of stopping, kernel
# log marks, and node opens with their exact error.
#
#   . "$(dirname "$0")/npu-sh-lib"
#   ... checks ...
#   finish

# shellcheck disable=SC2034 # used by the tests that source this
MODULE=${NPU_MODULE:-/npu/rm_npu.ko}
MODNAME=rm_npu
TEST=$(basename "$0")
nfail=0

fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
note() { echo "== $*"; }
loaded() { [ -d "/sys/module/$MODNAME" ]; }

# check_eq WHAT GOT WANT
check_eq() {
	[ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}

# check_sysfs NODE ATTR WANT: /sys/class/npu/NODE/ATTR reads exactly WANT.
check_sysfs() {
	check_eq "$1/$2" "$(cat "/sys/class/npu/$1/$2" 2>&1)" "$3"
}

# check_param NAME WANT
check_param() {
	check_eq "parameter $1" "$(cat "/sys/module/$MODNAME/parameters/$1" 2>&1)" "$2"
}

# mark NAME: a line in the kernel log that klog_since NAME starts after.
mark() { echo "$TEST: mark $1" > /dev/kmsg; }

# klog_since NAME: kernel log lines after mark NAME, with their "<level>"
# prefix and without timestamps: "<3>rm_npu rm_npu.0: ...".
klog_since() {
	dmesg -r | sed -n "/$TEST: mark $1\$/,\$p" | sed -e 1d \
		-e 's/^\(<[0-9]*>\)\[[^]]*\] */\1/'
}

# open_ok NODE: /dev/NODE opens.
open_ok() {
	err=$( (exec 3< "/dev/$1") 2>&1 ) || fail "open /dev/$1 failed: $err"
}

# open_fails NODE STRERROR: opening /dev/NODE fails with exactly that error.
open_fails() {
	if err=$( (exec 3< "/dev/$1") 2>&1 ); then
		fail "open /dev/$1 succeeded, expected '$2'"
		return
	fi
	case $err in
	*": $2") ;;
	*) fail "open /dev/$1: '$err', expected '$2'" ;;
	esac
}

# unload: rmmod rm_npu, which must succeed.
unload() {
	out=$(rmmod "$MODNAME" 2>&1) || fail "rmmod failed: $out"
	! loaded || fail "rm_npu still loaded after rmmod"
}

finish() {
	loaded && rmmod "$MODNAME" 2> /dev/null
	if [ "$nfail" -ne 0 ]; then
		echo "$TEST: $nfail check(s) failed"
		exit 1
	fi
	echo "$TEST: all checks passed"
	exit 0
}
