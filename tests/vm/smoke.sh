#!/bin/sh
# smoke: with rm_npu loaded (default parameters), /dev/npu0 must exist.
if [ -c /dev/npu0 ]; then
	echo "smoke: /dev/npu0 present"
	exit 0
fi
echo "smoke: /dev/npu0 missing; /dev/npu* nodes:"
ls -l /dev/npu* 2>&1
exit 1
