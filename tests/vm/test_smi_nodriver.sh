#!/bin/sh
# npu-smi without the rm_npu module (a 'noload' test): one clear line on
# stderr, nothing on stdout, exit status 3 for every view; once the module
# is loaded, exit status 0.
set -u
fail() { echo "FAIL: $*"; exit 1; }

for args in "" "--json" "info" "ps" "cdi" "-q index"; do
	# shellcheck disable=SC2086
	out=$(npu-smi $args 2>/tmp/smi.err); rc=$?
	[ "$rc" = 3 ] || fail "npu-smi $args: exit $rc, expected 3"
	[ -z "$out" ] || fail "npu-smi $args: printed '$out' on stdout"
	[ "$(wc -l < /tmp/smi.err)" = 1 ] || fail "npu-smi $args: stderr: $(cat /tmp/smi.err)"
	grep -q "the rm_npu driver is not loaded" /tmp/smi.err ||
		fail "npu-smi $args: stderr: $(cat /tmp/smi.err)"
done

insmod "$NPU_MODULE" || fail "insmod"
npu-smi > /tmp/smi.out || fail "npu-smi with the module loaded: exit $?"
grep -q '^npu0pe0 ' /tmp/smi.out || fail "no npu0pe0 row: $(cat /tmp/smi.out)"
# --loop reports NPUs going away and coming back (udev monitor on the
# kernel's uevents: no udevd runs in the VM).
npu-smi -l 0.3 -c 10 -i 0 -q index > /tmp/smi.loop 2>&1 &
loop=$!
sleep 1
rmmod rm_npu || fail "rmmod under npu-smi --loop"
sleep 1
insmod "$NPU_MODULE" || fail "insmod under npu-smi --loop"
wait "$loop"
grep -qx '# npu0 went away' /tmp/smi.loop || fail "--loop: no 'went away': $(cat /tmp/smi.loop)"
grep -qx '# npu0 appeared' /tmp/smi.loop || fail "--loop: no 'appeared': $(cat /tmp/smi.loop)"
grep -q 'driver is not loaded' /tmp/smi.loop || fail "--loop: no refresh without the driver: $(cat /tmp/smi.loop)"
rmmod rm_npu || fail "rmmod"
npu-smi -i 0 >/dev/null 2>&1; rc=$?
[ "$rc" = 3 ] || fail "after rmmod: exit $rc, expected 3"
echo "ok"
