#!/bin/sh
# The README's main job, run inside the VM by `make main`: shows the loaded
# module, its device nodes and every device's facts, then runs a demo job.
set -e

echo "== rm_npu module parameters"
for p in /sys/module/rm_npu/parameters/*; do
	printf '  %-16s %s\n' "$(basename "$p")" "$(cat "$p")"
done

echo "== device nodes"
ls -l /dev/npu* | sed 's/^/  /'

for dev in /sys/class/npu/npu[0-9] /sys/class/npu/npu[0-9][0-9]; do
	[ -d "$dev" ] || continue
	echo "== $(basename "$dev")"
	for a in arch num_pes fw_state fw_version fw_caps mem_total mem_used \
		uuid numa_node abi_version; do
		printf '  %-12s %s\n' "$a" "$(cat "$dev/$a")"
	done
	for pe in "$dev"pe*; do
		[ -d "$pe" ] || continue
		printf '  %-12s pes=%s state=%s owner_pid=%s\n' "$(basename "$pe")" \
			"$(cat "$pe/pes")" "$(cat "$pe/state")" "$(cat "$pe/owner_pid")"
	done
done

if [ -x /usr/bin/npu-demo ]; then
	echo "== demo"
	npu-demo
fi
