# SPDX-License-Identifier: MIT
"""Errors: each runtime error reaches Python as its exception class with
errno and libnpurt's detail message; bad inputs are refused before they
reach the runtime."""
import errno

import numpy as np
import pytest

import npurt
from conftest import DEVICE, ON_NPU, model_path


def test_hierarchy():
    for cls in (npurt.DeviceBusy, npurt.DeviceNotFound, npurt.InvalidInput,
                npurt.QueueWaitTimeout, npurt.RunTimeout, npurt.RunCancelled,
                npurt.SessionClosed):
        assert issubclass(cls, npurt.NpuError)
    assert issubclass(npurt.NpuError, OSError)
    assert issubclass(npurt.InvalidInput, ValueError)
    assert issubclass(npurt.QueueWaitTimeout, TimeoutError)
    e = npurt.DeviceBusy(errno.EBUSY, "npu0pe0: busy")
    assert (e.errno, e.detail, e.strerror) == (errno.EBUSY, "npu0pe0: busy",
                                               "npu0pe0: busy")
    assert str(e) == "[Errno 16] npu0pe0: busy"


def test_bad_spec():
    with pytest.raises(npurt.InvalidInput) as e:
        npurt.create_runner(model_path("qop_cnn"), device="cpu(0")
    assert e.value.errno == errno.EINVAL
    assert e.value.detail.startswith('device spec "cpu(0": ')
    assert "position" in e.value.detail


@pytest.mark.skipif(ON_NPU, reason="the host has no NPU")
def test_no_npu():
    with pytest.raises(npurt.DeviceNotFound) as e:
        npurt.create_runner(model_path("qop_cnn"), device="warboy(2)*1")
    assert e.value.errno == errno.ENODEV
    assert e.value.detail == ('device spec "warboy(2)*1": item at position '
                              '0: no NPU present')


@pytest.mark.skipif(ON_NPU or npurt.devices() != [],
                    reason="the host has no NPU")
def test_auto_without_npu():
    with pytest.warns(RuntimeWarning, match='"auto" found no free NPU PE'):
        r = npurt.create_runner(model_path("qop_cnn"), device="auto")
    with r:
        assert r.fell_back_to_cpu and r.spec == "auto"
        assert [d.kind for d in r.devices] == ["cpu"]
        assert "(auto fell back to the CPU)" in r.summary()


def test_bad_models(tmp_path):
    with pytest.raises(npurt.NpuError) as e:
        npurt.create_runner(str(tmp_path / "missing.onnx"), device="cpu")
    assert e.value.errno == errno.ENOENT and "missing.onnx" in e.value.detail
    with pytest.raises(npurt.NpuError) as e:
        npurt.create_runner(b"NPUPROG\0garbage", device="cpu")
    assert e.value.errno == errno.EBADMSG
    with pytest.raises(npurt.NpuError) as e:
        npurt.create_runner(b"\x08\x07garbage that is not ONNX", device="cpu")
    assert e.value.errno in (errno.EBADMSG, errno.EINVAL)
    assert e.value.detail


def test_bad_inputs(qop):
    x = np.zeros((1, 3, 16, 16), np.int8)
    cases = [
        ([], "1 input(s) expected ('x'), 0 given"),
        ([x, x], "1 input(s) expected ('x'), 2 given"),
        ({"y": x}, "the model has no input named 'y' (inputs: 'x')"),
        ({}, "input 'x' not given (inputs: 'x')"),
        ([x.astype(np.uint8)], "input 'x': dtype uint8, the model takes int8"),
        ([x.reshape(1, 3, 256)],
         "input 'x': shape (1, 3, 256), the model takes (1, 3, 16, 16)"),
        ([x[0]], "input 'x': shape (3, 16, 16), the model takes "
                 "(1, 3, 16, 16)"),
    ]
    for inputs, msg in cases:
        with pytest.raises(npurt.InvalidInput) as e:
            qop.run(inputs)
        assert e.value.errno == errno.EINVAL
        assert e.value.detail == msg


def test_extension_checks_sizes(qop):
    """The extension checks sizes itself (the package checks shapes before)."""
    with pytest.raises(npurt.InvalidInput) as e:
        qop._c.run([bytearray(767)], [bytearray(10)])
    assert e.value.detail == ('input 0 ("x"): 767 bytes, the model takes '
                              '768')
    with pytest.raises(BufferError):
        qop._c.run([bytes(768)], [bytes(10)])    # read-only output


def test_log_level():
    old = npurt.get_log_level()
    try:
        npurt.set_log_level("warn")
        assert npurt.get_log_level() == "WARN"
        npurt.set_log_level(2)
        assert npurt.get_log_level() == "ERROR"
        with pytest.raises(ValueError):
            npurt.set_log_level("loud")
        with pytest.raises(npurt.InvalidInput):
            npurt.set_log_level(7)
    finally:
        npurt.set_log_level(old)
