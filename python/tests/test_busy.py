# SPDX-License-Identifier: MIT
"""Busy devices (VM only: needs the NPU): a PE held by this process or by
another one is DeviceBusy (EBUSY, or ENOSPC when fewer are free than
asked), and "auto" with every PE held falls back to the CPU, saying so
(libnpurt's WARN line, a RuntimeWarning, fell_back_to_cpu)."""
import errno
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import npurt
from conftest import ON_NPU, model_path, random_inputs

pytestmark = pytest.mark.skipif(not ON_NPU, reason="needs an NPU")

CHILD = r"""
import sys, npurt
try:
    npurt.create_runner(sys.argv[1], device=sys.argv[2])
except npurt.NpuError as e:
    print(type(e).__name__, e.errno, e.detail)
"""


def child(spec, extra_env=None):
    pkg = os.path.dirname(os.path.dirname(npurt.__file__))
    env = dict(os.environ, PYTHONPATH=pkg, **(extra_env or {}))
    return subprocess.run([sys.executable, "-P", "-c", CHILD,
                           model_path("qop_cnn"), spec], env=env,
                          capture_output=True, text=True, timeout=300)


def test_busy_in_this_process():
    with npurt.create_runner(model_path("qop_cnn"), device="npu0pe0"):
        with pytest.raises(npurt.DeviceBusy) as e:
            npurt.create_runner(model_path("qop_cnn"), device="npu0pe0")
        assert e.value.errno == errno.EBUSY
        assert e.value.detail.startswith(
            'device spec "npu0pe0": item at position 0: npu0pe0: busy')
        # the fused node overlaps the held PE
        with pytest.raises(npurt.DeviceBusy) as e:
            npurt.create_runner(model_path("qop_cnn"), device="npu0pe0-1")
        assert e.value.errno == errno.EBUSY
        # two single PEs asked, one free
        with pytest.raises(npurt.DeviceBusy) as e:
            npurt.create_runner(model_path("qop_cnn"), device="warboy*2")
        assert e.value.errno == errno.ENOSPC
        assert "asked for 2 x warboy(1), only 1 free" in e.value.detail


def test_busy_from_another_process():
    with npurt.create_runner(model_path("qop_cnn"), device="warboy(2)*1"):
        out = child("npu0pe1")
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"DeviceBusy {errno.EBUSY} "
                                     'device spec "npu0pe1": item at '
                                     "position 0: npu0pe1: busy (held by "
                                     f"pid {os.getpid()})")
    # released at close: the child gets it now
    out = child("npu0pe1")
    assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr


def test_auto_falls_back_loudly(cpu_reference):
    with npurt.create_runner(model_path("qop_cnn"), device="warboy(2)*1"):
        out = child("auto", {"NPU_LOG_LEVEL": "WARN"})
        assert out.returncode == 0, out.stderr
        assert ("npurt: WARN: auto: no free NPU PE (every PE of 1 NPU(s) is "
                "held by another process or unusable), running on the CPU"
                in out.stderr)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with npurt.create_runner(model_path("qop_cnn"),
                                     device="auto") as r:
                assert r.fell_back_to_cpu
                assert [d.kind for d in r.devices] == ["cpu"]
                x, = random_inputs(r.inputs)
                np.testing.assert_array_equal(
                    r.run([x])[0], cpu_reference("qop_cnn", [x])[0])
        assert [str(i.message) for i in w
                if issubclass(i.category, RuntimeWarning)] == [
            'npurt: device spec "auto" found no free NPU PE and runs on '
            'the CPU']
    with npurt.create_runner(model_path("qop_cnn"), device="auto") as r:
        assert not r.fell_back_to_cpu
        assert {d.kind for d in r.devices} == {"npu"}
