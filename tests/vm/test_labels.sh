#!/bin/sh
# test_labels: `npu-smi labels` prints node-feature-discovery's feature-file
# lines for the loaded configuration (num_devices=2 num_pes=3 mem_mib=64);
# -o writes them atomically (mode 0644, no temporary file left); --loop
# rewrites the file when the driver goes (count=0) and comes back, round
# after round; without the driver, count=0 and exit status 3.
# shellcheck source=tests/vm/npu-sh-lib.sh
. "$(dirname "$0")/npu-sh-lib"

DIR=/tmp/features.d
want="rm-npu.io/count=2
rm-npu.io/arch=warboy
rm-npu.io/pes=3
rm-npu.io/memory-mib=64
rm-npu.io/firmware=1.0.0
rm-npu.io/driver=$(cat /sys/class/npu/npu0/abi_version)"

# wait_file WANT: up to 10 s for $DIR/rm-npu to read exactly WANT.
wait_file() {
	i=0
	while [ "$(cat "$DIR/rm-npu" 2>/dev/null)" != "$1" ]; do
		[ $i -ge 100 ] && { fail "labels file is '$(cat "$DIR/rm-npu")', expected '$1'"; return; }
		sleep 0.1
		i=$((i + 1))
	done
}

note "stdout"
out=$(npu-smi labels) || fail "npu-smi labels: exit status $?"
check_eq "labels" "$out" "$want"

note "-o"
mkdir -p "$DIR"
npu-smi labels -o "$DIR/rm-npu" || fail "npu-smi labels -o: exit status $?"
check_eq "file" "$(cat "$DIR/rm-npu")" "$want"
check_eq "folder" "$(ls -A "$DIR")" "rm-npu"
check_eq "mode" "$(stat -c %a "$DIR/rm-npu")" 644
npu-smi labels -o /nonexistent/dir/rm-npu 2>/tmp/labels.err; rc=$?
check_eq "unwritable -o status" "$rc" 1
check_eq "unwritable -o message" "$(cat /tmp/labels.err)" \
	"npu-smi: cannot write /nonexistent/dir/rm-npu: No such file or directory"

note "--loop follows the driver"
npu-smi labels -o "$DIR/rm-npu" -l 30 2>/dev/null &
loop=$!
sleep 0.5
# A few rounds: snapshots taken while NPUs appear once overran a buffer
# (smi_collect: more NPUs on the second look than on the first).
for round in 1 2 3; do
	rmmod "$MODNAME" || fail "rmmod ($round)"
	wait_file "rm-npu.io/count=0"
	# shellcheck disable=SC2086 # the parameters are split on purpose
	insmod "$MODULE" $NPU_MODPARAMS || fail "insmod ($round)"
	wait_file "$want"
done
check_eq "folder after the loop" "$(ls -A "$DIR")" "rm-npu"
kill -TERM "$loop"
wait "$loop"; rc=$?
check_eq "--loop exit status after SIGTERM" "$rc" 0

note "usage"
npu-smi labels --json > /dev/null 2>&1; rc=$?
check_eq "labels --json status" "$rc" 2

note "no driver"
rmmod "$MODNAME" || fail "rmmod"
out=$(npu-smi labels 2>/dev/null); rc=$?
check_eq "no driver status" "$rc" 3
check_eq "no driver labels" "$out" "rm-npu.io/count=0"

finish
