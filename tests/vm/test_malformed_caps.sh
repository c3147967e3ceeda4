#!/bin/sh
# test_malformed_caps (noload): with a firmware image whose capabilities
# leave out CONV2D, ELTWISE and LUT, GET_INFO reports exactly those caps,
# SUBMIT rejects the disabled opcodes (and, F32_RESCALE being left out too,
# an F32-scaled GEMM) with EINVAL at their index, and the
# enabled ones run (test_malformed with NPU_EXPECT_CAPS). The original
# image is restored at the end, whatever happens.
# shellcheck source=tests/vm/npu-sh-lib.sh
. "$(dirname "$0")/npu-sh-lib"

FW=/lib/firmware/rm_npu/warboy.bin
SAVE=/tmp/$TEST.warboy.bin
CAPS=0x2f	# NOP FILL COPY GEMM POOL2D; not CONV2D (4), ELTWISE (6), LUT (7)

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

out=$(npu-mkfw --caps "$CAPS" -o "$FW" 2>&1) || { echo "npu-mkfw: $out"; exit 1; }
out=$(insmod "$MODULE" 2>&1) || { echo "insmod: $out"; exit 1; }
check_sysfs npu0 fw_state ready
check_sysfs npu0 fw_caps "$CAPS"
NPU_EXPECT_CAPS=$CAPS "$(dirname "$0")/test_malformed" || fail "test_malformed with caps $CAPS"
finish
