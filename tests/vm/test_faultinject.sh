#!/bin/sh
# test_faultinject - fault injection (failslab, fail_page_alloc) on the uAPI
# tests; runs INSIDE the guest, on the debug kernel only (tools/debug-kernel;
# `make vm-test-debug`). Skips (77) where /sys/kernel/debug/failslab is absent.
#
# run-tests loads rm_npu before this test. For each test program of
# $NPU_FI_TESTS and each probability of $NPU_FI_PROBS, the program runs with
# /proc/PID/make-it-fail set (by /tests/vm/fi_preload.so, LD_PRELOADed: set
# after exec and loading, before main, inherited by its threads and
# children) and the PE engine threads (npuXpeY) marked as well; failslab and fail_page_alloc
# (task-filter=Y, interval=1, every GFP kind: ignore-gfp-wait=N, min-order=0)
# then fail that share of the slab and page allocations of those tasks:
# those made by rm_npu in the ioctls, mmap, release, fence and engine paths,
# and those of the kernel's own syscall paths around them. (6.1 has no
# stack-trace filter on x86_64, so the task filter is how the faults are
# aimed.) The program may fail while injection is on; what is required:
#   - no kernel report (BUG, WARNING, KASAN, lockdep, UBSAN, ...) and no crash;
#   - each run ends (killed after $NPU_FI_RUN_TIMEOUT s otherwise) and, once
#     its processes are gone (it runs in its own process group; what it
#     left behind is named and killed), every NPU's mem_used and bo_count
#     are 0 and no PE has an owner;
#   - with injection off, test_ioctl (and $NPU_FI_AFTER) pass again;
#   - a kmemleak scan (module still loaded) reports nothing from rm_npu.
# Prints the number of faults injected (from the attributes' "times"
# counters). Allocation-failure warnings (warn_alloc: "page allocation
# failure", "vmalloc error", with a stack dump and Mem-Info) are the expected
# result of an injected fault, so while injection is on the console log level
# is lowered (they stay in the ring buffer), "Call Trace" alone does not count
# as a report, and this test clears the kernel log after checking it itself.
#
# Also prints the distinct rm_npu functions seen as the innermost module
# frame of an injected fault (verbose=2 stack dumps; rate-limited by the
# kernel to 10 per 5 s, so a sample).
#
# Environment: NPU_FI_TESTS (default "test_ioctl test_jobs test_batch
# test_cmds test_malformed test_memexit"), NPU_FI_PROBS (percent, default "2 10 40"), NPU_FI_RUN_TIMEOUT (default 300),
# NPU_FI_AFTER (default "test_ioctl"), NPU_TESTS_DIR (default /tests/vm).

DBG=/sys/kernel/debug
FS=$DBG/failslab
FP=$DBG/fail_page_alloc
TESTDIR=${NPU_TESTS_DIR:-/tests/vm}
TESTS=${NPU_FI_TESTS:-test_ioctl test_jobs test_batch test_cmds test_malformed test_memexit}
PROBS=${NPU_FI_PROBS:-2 10 40}
RUN_TIMEOUT=${NPU_FI_RUN_TIMEOUT:-300}
AFTER=${NPU_FI_AFTER:-test_ioctl}
PATTERNS=/npu/kernel-log-patterns
PRELOAD=$TESTDIR/fi_preload.so
TIMES=1000000
WORK=${TMPDIR:-/tmp}/faultinject.$$

if [ ! -d "$FS" ] || [ ! -d "$FP" ]; then
	echo "SKIP: no $FS or $FP (not a fault-injection kernel; see tools/debug-kernel)"
	exit 77
fi
if [ ! -r "$PRELOAD" ]; then
	echo "FAIL: $PRELOAD not built (tools/debug/build.mk)"
	exit 1
fi
if [ ! -d /sys/module/rm_npu ]; then
	echo "FAIL: rm_npu is not loaded"
	exit 1
fi
mkdir -p "$WORK" || exit 1

errors=0
err() { echo "FAIL: $*"; errors=$((errors + 1)); }
note() { echo "faultinject: $*"; }

# --- console: quiet while injecting (see above), restored on exit.
printk_old=$(cut -f1 /proc/sys/kernel/printk)
ign_old=$(cat /sys/module/printk/parameters/ignore_loglevel 2>/dev/null)
quiet_console() {
	echo N > /sys/module/printk/parameters/ignore_loglevel 2>/dev/null
	echo 4 > /proc/sys/kernel/printk	# console: KERN_ERR and worse
}
restore_console() {
	[ -n "$ign_old" ] && echo "$ign_old" > /sys/module/printk/parameters/ignore_loglevel
	echo "$printk_old" > /proc/sys/kernel/printk
}

inject_off() {
	for a in "$FS" "$FP"; do
		echo 0 > "$a/probability"
	done
	for p in $(engine_pids); do
		echo 0 > "/proc/$p/make-it-fail" 2>/dev/null
	done
}

cleanup() {
	inject_off
	restore_console
	rm -rf "$WORK"
}
trap cleanup EXIT

engine_pids() {
	for d in /proc/[0-9]*; do
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case $c in
		npu[0-9]*pe[0-9]*) echo "${d#/proc/}" ;;
		esac
	done
}

setup_attr() { # dir
	echo Y > "$1/task-filter"
	echo 1 > "$1/interval"
	echo 0 > "$1/probability"
	echo 0 > "$1/space"
	echo "$TIMES" > "$1/times"
	echo 2 > "$1/verbose"	# a stack dump per fault (rate-limited)
	echo N > "$1/ignore-gfp-wait"
}
setup_attr "$FS"
setup_attr "$FP"
echo 0 > "$FP/min-order"
echo Y > "$FP/ignore-gfp-highmem"	# user pages of page faults: not ours

injected() { # total faults injected so far by both attributes
	echo $((2 * TIMES - $(cat "$FS/times") - $(cat "$FP/times")))
}

# Checks the kernel log since the last call: every pattern but "Call Trace"
# (the stack dumps of warn_alloc are expected), then clears it.
check_log() { # label
	dmesg > "$WORK/dmesg"
	grep -v '^Call Trace' "$PATTERNS" > "$WORK/patterns"
	if grep -E -f "$WORK/patterns" "$WORK/dmesg" > "$WORK/bad"; then
		err "$1: kernel report:"
		grep -E -B 2 -A 40 -f "$WORK/patterns" "$WORK/dmesg" | head -n 150 | sed 's/^/    /'
	fi
	warns=$(grep -cE 'page allocation failure|vmalloc error' "$WORK/dmesg")
	fi_lines=$(grep -c 'FAULT_INJECTION: forcing a failure' "$WORK/dmesg")
	cat "$WORK/dmesg" >> "$WORK/all-dmesg"
	dmesg -c > /dev/null
}

# mem_used/bo_count of every NPU must go back to 0 once the program's
# processes are gone (a few seconds for deferred releases).
check_accounting() { # label
	i=0
	while :; do
		bad=''
		for d in /sys/class/npu/npu*; do
			[ -f "$d/mem_used" ] || continue
			m=$(cat "$d/mem_used") b=$(cat "$d/bo_count")
			[ "$m" = 0 ] && [ "$b" = 0 ] || bad="$bad ${d##*/}: mem_used=$m bo_count=$b;"
		done
		for f in /sys/class/npu/npu*pe*/owner_pid; do
			[ -f "$f" ] || continue
			o=$(cat "$f")
			case $o in
			''|0|-1|none) ;;
			*)	# a live owner is a process, a gone one a leak
				if [ -d "/proc/$o" ]; then
					o="$o (alive: $(cat "/proc/$o/comm" 2>/dev/null))"
				else
					o="$o (exited)"
				fi
				bad="$bad $(basename "$(dirname "$f")"): owner_pid=$o;" ;;
			esac
		done
		[ -z "$bad" ] && return 0
		if [ $i -ge 50 ]; then
			err "$1: device state not back to idle:$bad"
			return 1
		fi
		sleep 0.2
		i=$((i + 1))
	done
}

# Live processes of process group $g (zombies hold nothing).
group_pids() {
	for d in /proc/[0-9]*; do
		s=$(cat "$d/stat" 2>/dev/null) || continue
		s=${s##*\) }
		# shellcheck disable=SC2086 # split the fields on purpose
		set -- $s
		[ "$1" != Z ] && [ "$3" = "$g" ] && echo "${d#/proc/}"
	done
}

# A program that failed under injection may leave children behind (one
# paused until its parent kills it, holding a PE and buffers): they are
# the program's, not the driver's, so they are listed, killed and waited
# for before the device's accounting is checked.
reap_group() { # pgid label
	g=$1
	[ -n "$g" ] || return 0
	left=$(group_pids)
	[ -n "$left" ] || return 0
	note "$2: left processes behind, killed:$(for p in $left; do printf ' %s(%s)' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)"
	kill -KILL -"$g" 2>/dev/null
	i=0
	while [ -n "$(group_pids)" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

run_injected() { # name probability
	name=$1 prob=$2
	before=$(injected)
	for p in $(engine_pids); do
		echo 1 > "/proc/$p/make-it-fail"
	done
	echo "$prob" > "$FS/probability"
	echo "$prob" > "$FP/probability"
	# Its own session and process group (the inner sh has no job
	# control, so setsid does not fork), so that what it leaves behind
	# can be found and killed below.
	sh -c 'setsid "$@" & echo $! > "$0"; wait $!' "$WORK/pgid" \
		env LD_PRELOAD="$PRELOAD" timeout -s KILL "$RUN_TIMEOUT" \
		"$TESTDIR/$name" < /dev/null > "$WORK/$name.log" 2>&1
	rc=$?
	inject_off
	reap_group "$(cat "$WORK/pgid")" "$name at ${prob}%"
	n=$(($(injected) - before))
	check_log "$name at ${prob}%"
	check_accounting "$name at ${prob}%"
	note "$name at ${prob}%: exit status $rc, $n faults injected ($warns allocation-failure warnings, $fi_lines FAULT_INJECTION lines, rate-limited)"
	if [ "$rc" = 137 ]; then
		note "  (killed after ${RUN_TIMEOUT}s; last output:)"
		tail -n 5 "$WORK/$name.log" | sed 's/^/    /'
	fi
	if [ ! -d /sys/module/rm_npu ]; then
		err "rm_npu disappeared"
		exit 1
	fi
}

dmesg -c > /dev/null
quiet_console
for name in $TESTS; do
	if [ ! -x "$TESTDIR/$name" ]; then
		note "$name: not built, skipped"
		continue
	fi
	for prob in $PROBS; do
		run_injected "$name" "$prob"
	done
done
restore_console
total=$(injected)
echo "faults injected: $total (failslab $((TIMES - $(cat "$FS/times"))), fail_page_alloc $((TIMES - $(cat "$FP/times"))))"
[ "$total" -gt 0 ] || err "no fault was injected"
# Innermost rm_npu frame of each sampled fault's stack dump.
awk '/FAULT_INJECTION: forcing a failure/ { want = 1; next }
	want && /\[rm_npu\]/ {
		for (i = 1; i <= NF; i++)
			if ($i ~ /\+0x/) { sub(/\+.*/, "", $i); print $i; break }
		want = 0 }' "$WORK/all-dmesg" 2>/dev/null | sort | uniq -c | sort -rn > "$WORK/sites"
sampled=$(grep -c 'FAULT_INJECTION: forcing a failure' "$WORK/all-dmesg" 2>/dev/null)
echo "rm_npu call sites hit (innermost module frame; $sampled faults sampled, $(awk '{ n += $1 } END { print n + 0 }' "$WORK/sites") inside rm_npu, $(wc -l < "$WORK/sites") distinct functions):"
sed 's/^/    /' "$WORK/sites"

# With injection off the device must work as before.
for name in $AFTER; do
	if "$TESTDIR/$name" < /dev/null > "$WORK/after.log" 2>&1; then
		note "$name without injection: passed"
	else
		err "$name without injection fails after the injection runs:"
		tail -n 40 "$WORK/after.log" | sed 's/^/    /'
	fi
	check_accounting "$name without injection"
done
check_log "after injection"

# kmemleak, with rm_npu still loaded so its frames are named.
K=$DBG/kmemleak
if [ -w "$K" ]; then
	quiet_console	# the "N new suspected memory leaks" line is ours to judge
	echo scan > "$K"
	echo scan > "$K"
	cat "$K" > "$WORK/kmemleak"
	restore_console
	if grep -q 'rm_npu' "$WORK/kmemleak"; then
		err "kmemleak reports objects allocated by rm_npu:"
		head -n 200 "$WORK/kmemleak" | sed 's/^/    /'
	else
		note "kmemleak: nothing from rm_npu ($(grep -c '^unreferenced object' "$WORK/kmemleak") other unreferenced objects)"
	fi
	echo clear > "$K"
	dmesg -c > /dev/null
else
	note "no $K: kmemleak check skipped"
fi

if [ "$errors" -gt 0 ]; then
	echo "test_faultinject: $errors problem(s)"
	exit 1
fi
echo "test_faultinject: ok"
