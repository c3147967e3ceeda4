#!/bin/sh
# The README's main job, run inside the VM by `make main` after the module
# was loaded with its defaults: shows the module, its device nodes and every
# device's facts (npu-smi), then runs a model (examples/basic_runner.c, the
# example MLP through libnpurt) on the fused PE pair and on the CPU and
# shows that the outputs agree byte for byte.
set -e

echo "== rm_npu module parameters"
for p in /sys/module/rm_npu/parameters/*; do
	printf '  %-16s %s\n' "$(basename "$p")" "$(cat "$p")"
done

echo "== device nodes"
ls -l /dev/npu* | sed 's/^/  /'

echo "== npu-smi"
npu-smi | sed 's/^/  /'

echo "== npu-smi info"
npu-smi info | sed 's/^/  /'

echo "== model: example MLP on warboy(2)*1 (npu0pe0-1) and on cpu"
basic_runner 'warboy(2)*1' > /tmp/rt-npu.txt
NPU_DEVICES=cpu basic_runner > /tmp/rt-cpu.txt
sed 's/^/  /' /tmp/rt-npu.txt
# Compare the output bytes only (the device lines differ).
sed -n '/^output y:/,$p' /tmp/rt-npu.txt > /tmp/rt-npu.y
sed -n '/^output y:/,$p' /tmp/rt-cpu.txt > /tmp/rt-cpu.y
if cmp -s /tmp/rt-npu.y /tmp/rt-cpu.y && [ -s /tmp/rt-npu.y ]; then
	echo "  warboy(2)*1 and cpu outputs agree ($(wc -c < /tmp/rt-npu.y) bytes of hex)"
else
	echo "  MISMATCH between warboy(2)*1 and cpu:"
	diff /tmp/rt-npu.y /tmp/rt-cpu.y | sed 's/^/  /'
	exit 1
fi

echo "== npu-smi after the run (counters of npu0pe0 and npu0pe1)"
npu-smi -q index,mem_used,bo_count --format csv | sed 's/^/  /'
npu-smi info -d 0 | grep -E '^  npu0pe[0-9]$|jobs_completed|ops ' | sed 's/^/  /'
