#!/bin/sh
# test_onnx_conformance - ONNX's node tests that the stack claims
# (tests/onnx/claimed.list, staged by tools/npu-compile/build.mk into
# /tests/vm/onnx/) through onnx-conformance on the NPU: one PE
# ('warboy(1)*1') and the fused pair ('warboy(2)*1'), default module
# parameters (one warboy, two PEs). Each device must pass every claimed test
# (0 failures) with the same pass count as the CPU backend in this guest,
# which must itself equal the number of claimed tests.
# Skips (77) when the compiler was not built (no protoc-c).
D=${NPU_TESTS_DIR:-/tests/vm}/onnx
LIST=$D/claimed.list
if ! command -v onnx-conformance > /dev/null 2>&1 || [ ! -r "$LIST" ]; then
	echo "onnx-conformance or $LIST missing: compiler not built"
	exit 77
fi
n=$(grep -v '^[[:space:]]*#' "$LIST" | grep -c '[^[:space:]]')
fail=0
cpu_pass=
for spec in cpu 'warboy(1)*1' 'warboy(2)*1'; do
	out=$(onnx-conformance --device "$spec" --list "$LIST" "$D/node" 2>&1)
	rc=$?
	last=$(echo "$out" | tail -n 1)
	echo "$last"
	pass=$(echo "$last" | sed -n 's/^device .*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
	failed=$(echo "$last" | sed -n 's/^device .*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
	[ "$spec" = cpu ] && cpu_pass=$pass
	if [ $rc -ne 0 ] || [ "$failed" != 0 ] || [ "$pass" != "$n" ] ||
	   [ "$pass" != "$cpu_pass" ]; then
		echo "FAIL $spec: rc=$rc, $pass passed (cpu $cpu_pass, claimed $n), $failed failed"
		echo "$out" | grep -v ' pass ' | sed 's/^/  /'
		fail=1
	fi
done
[ $fail = 0 ] && echo "ok: $n claimed tests pass on cpu, warboy(1)*1 and warboy(2)*1"
exit $fail
