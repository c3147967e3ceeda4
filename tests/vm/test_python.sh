#!/bin/sh
# test_python - the npurt Python package (python/tests, pytest) against the
# real module on 'warboy(2)*1', compared byte for byte with the CPU device:
# runner, queue, asyncio, threads, busy devices (this process and another),
# auto's loud CPU fallback, errors, devices(), the profiler. Runs Debian's
# python3 that python/stage-vm puts into the guest (build/vm-root); skips
# (77) when it is not there. NPURT_TEST_EXTRA_MODELS (guest paths, e.g.
# added with tools/npu-vm --add) adds models to test_models.py.
P=${NPU_TESTS_DIR:-/tests/vm}/python
if ! command -v python3 > /dev/null 2>&1 || [ ! -d "$P/npurt" ]; then
	echo "python3 or $P missing: python/build.mk did not stage them"
	exit 77
fi
cd "$P" || exit 1
export NPURT_TEST_MODELS="$P/models" NPURT_TEST_DEVICE='warboy(2)*1'
export PYTHONPATH="$P" PYTHONDONTWRITEBYTECODE=1 HOME=/tmp
exec python3 -P -m pytest -q -p no:cacheprovider -o console_output_style=classic tests
