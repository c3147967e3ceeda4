#!/bin/sh
# test_npu_run - npu-run against the real module: a model on 'warboy(2)*1'
# and on two single PEs with 4 runs in flight gives the CPU's outputs byte
# for byte (--save on cpu, --compare --tolerance 0), the PEs' utilization
# and job counts come from the driver's counters, a float output is
# compared as floats against its reference, "auto" with every PE held
# falls back to the CPU and says so in the header, on stderr and in JSON,
# a held PE is an error naming its owner. Default module parameters (one
# warboy, two PEs). Skips (77) without npu-run (compiler not built).
. "$(dirname "$0")/npu-sh-lib"
M=${NPU_TESTS_DIR:-/tests/vm}/python/models
if ! command -v npu-run > /dev/null 2>&1 || [ ! -r "$M/qop_cnn.onnx" ]; then
	echo "npu-run or $M missing: compiler or Python package not built"
	exit 77
fi
export NPURT_CACHE_DIR=/tmp/npu-run-cache
unset NPU_DEVICES
T=/tmp/test_npu_run
rm -rf "$T"
mkdir -p "$T"

# expect RC PATTERN CMD...: exit status RC and PATTERN (grep -E) in the
# output; prints the matching line.
expect() {
	rc=$1 pat=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ $got -eq "$rc" ] && echo "$out" | grep -qE -- "$pat"; then
		echo "ok: $(echo "$out" | grep -E -m1 -- "$pat")"
	else
		fail "$* -> $got (want $rc, /$pat/):"
		echo "$out" | sed 's/^/    /'
	fi
}

for m in qop_cnn mixed_mlp; do
	expect 0 '^throughput' npu-run "$M/$m.onnx" -d cpu --random -n 3 -q --save "$T/$m"
	expect 0 "^compare \"y\": .*100.00% (exactly )?equal" \
		npu-run "$M/$m.onnx" -d 'warboy(2)*1' -n 20 -q --compare "$T/$m" --tolerance 0
	expect 0 "^compare $T/$m: ok$" \
		npu-run "$M/$m.onnx" -d npu0pe0,npu0pe1 -c 4 -b 2 -n 20 -q \
		--compare "$T/$m" --tolerance 0
done
expect 0 '^device spec "warboy\(2\)\*1": npu0pe0-1 \(warboy, PEs 0-1 fused, firmware ' \
	npu-run "$M/qop_cnn.onnx" -d 'warboy(2)*1' --random -n 5 -q
# 20 measured runs of a one-job model: 20 jobs on the fused pair's PEs,
# none from the 5 warmup runs
expect 0 '^utilization npu0pe0-1: [0-9.]+% \(20 jobs\)$' \
	npu-run "$M/qop_cnn.onnx" -d 'warboy(2)*1' --random -n 20 -q
expect 0 '^utilization npu0pe1: [0-9.]+% \([0-9]+ jobs\)$' \
	npu-run "$M/qop_cnn.onnx" -d npu0pe0,npu0pe1 -c 4 --random -n 20 -q
npu-run "$M/qop_cnn.onnx" -d 'warboy(2)*1' --random -n 10 -q --json > "$T/r.json" 2>&1
check_eq "JSON device" "$(sed -n 's/^ *"name": "\(npu0pe0-1\)",$/\1/p' "$T/r.json")" npu0pe0-1
check_eq "JSON jobs" "$(sed -n 's/^ *"jobs": \([0-9]*\),*$/\1/p' "$T/r.json")" 10
grep -q '"utilization": 0\.[0-9]*[1-9]' "$T/r.json" ||
	fail "JSON utilization not above 0: $(grep utilization "$T/r.json")"
C=$M/conf/test_float_cnn
expect 0 '^compare "y": compared as floats \(no quantization step recorded on the output\)' \
	npu-run "$C/model.onnx" -d npu0pe1 -n 3 -q --compare "$C"

# every PE held by another process: auto falls back, loudly
out=$(npu-hold npu0pe0-1 -- npu-run "$M/qop_cnn.onnx" -d auto --random -n 3 -q 2>&1)
echo "$out" | grep -q '^npurt: WARN: auto: no free NPU PE (every PE of 1 NPU(s) is held by another process or unusable), running on the CPU' &&
echo "$out" | grep -q '^npu-run: WARNING: "auto" fell back to the CPU: every NPU PE is held by another process$' &&
echo "$out" | grep -q "^WARNING: \"auto\" fell back to the CPU: every NPU PE is held by another process; figures below are the CPU's" &&
echo "$out" | grep -q '^device spec "auto": cpu(' &&
	echo "ok: auto's fallback said by libnpurt, on stderr and in the header" ||
	{ fail "auto fallback:"; echo "$out" | sed 's/^/    /'; }
expect 0 '"fallback_to_cpu": true' npu-hold npu0pe0-1 -- npu-run "$M/qop_cnn.onnx" --random -n 2 -q --json
expect 0 '"fallback_to_cpu": false' npu-run "$M/qop_cnn.onnx" --random -n 2 -q --json
expect 1 'npu0pe1: busy \(held by pid [0-9]+\) \(Device busy\)$' \
	npu-hold npu0pe1 -- npu-run "$M/qop_cnn.onnx" -d npu0pe1 --random -q
rm -rf "$T" "$NPURT_CACHE_DIR"
finish
