# SPDX-License-Identifier: MIT
"""Runner: model and tensor descriptions, runs by position and by name,
outputs equal to the CPU device's, batches, threads, preallocated
outputs, non-contiguous inputs, models from bytes, timeout and
cancellation, closing."""
import errno
import os
import threading

import numpy as np
import pytest

import npurt
from conftest import DEVICE, MODELS, ON_NPU, model_path, random_inputs


def int8s(shape, seed):
    return np.random.default_rng(seed).integers(-128, 128, shape,
                                                dtype=np.int8)


def test_descriptions(qop):
    m = qop.model
    assert m.name == "qop_cnn"
    (x,), (y,) = m.inputs, m.outputs
    assert (x.name, x.shape, x.dtype, x.size) == ("x", (1, 3, 16, 16),
                                                  np.dtype(np.int8), 768)
    assert (y.name, y.shape, y.dtype, y.size) == ("y", (1, 10),
                                                  np.dtype(np.int8), 10)
    assert x.ndim == 4 and x.elements == 768 and len(x.axes) == 4
    assert m.input("x") is x and m.output(0) is y
    assert qop.inputs == m.inputs and qop.outputs == m.outputs
    assert qop.model.summary().startswith('model "qop_cnn": 1 input(s), '
                                          '1 output(s)')
    assert 'input  0 "x": INT8 [1, 3, 16, 16]' in qop.summary()
    assert qop.spec == DEVICE and not qop.fell_back_to_cpu
    kinds = {d.kind for d in qop.devices}
    assert kinds == ({"npu"} if ON_NPU else {"cpu"})
    if DEVICE == "warboy(2)*1":
        (d,) = qop.devices
        assert (d.name, d.arch, d.pe_first, d.pe_count) == ("npu0pe0-1",
                                                            "warboy", 0, 2)
    assert "qop_cnn" in repr(qop) and "TensorDesc(name='x'" in repr(x)


def test_run_forms_agree(qop, cpu_reference):
    x, = random_inputs(qop.inputs, seed=1)
    ref = cpu_reference("qop_cnn", [x])
    for form in ([x], (x,), {"x": x}, x):
        out = qop.run(form)
        assert isinstance(out, list) and len(out) == 1
        assert out[0].dtype == np.int8 and out[0].shape == (1, 10)
        np.testing.assert_array_equal(out[0], ref[0])
    # different inputs, different outputs (the model is not constant)
    x2, = random_inputs(qop.inputs, seed=2)
    assert not np.array_equal(qop.run([x2])[0], ref[0])


def test_float_model_matches_reference():
    """float_cnn: QuantizeLinear (CPU) -> QLinearConv (NPU) ->
    DequantizeLinear, Softmax (CPU), against gen-models.py's numpy
    reference."""
    d = os.path.join(MODELS, "conf", "test_float_cnn", "test_data_set_0")
    x, want = np.load(d + "/input_0.npy"), np.load(d + "/output_0.npy")
    with npurt.create_runner(os.path.join(MODELS, "conf", "test_float_cnn",
                                          "model.onnx"), device=DEVICE) as r:
        got, = r.run([x])
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-7)


def test_batch(cpu_reference):
    xs = int8s((3, 3, 16, 16), seed=3)
    with npurt.create_runner(model_path("qop_cnn"), device=DEVICE,
                             batch_size=3) as r:
        assert r.batch_size == 3
        assert r.inputs[0].shape == (3, 3, 16, 16)
        assert r.outputs[0].shape == (3, 10)
        assert r.model.inputs[0].shape == (1, 3, 16, 16)
        y, = r.run([xs])
    for i in range(3):
        np.testing.assert_array_equal(
            y[i:i + 1], cpu_reference("qop_cnn", [xs[i:i + 1]])[0])


def test_threads(cpu_reference):
    """8 threads at once over 3 workers per device give the results of
    sequential runs."""
    inputs = [int8s((1, 3, 16, 16), seed=100 + i) for i in range(32)]
    want = [cpu_reference("qop_cnn", [x])[0] for x in inputs]
    got = [None] * len(inputs)
    errors = []
    with npurt.create_runner(model_path("qop_cnn"), device=DEVICE,
                             worker_num=3) as r:
        def work(k):
            try:
                for i in range(k, len(inputs), 8):
                    got[i] = r.run([inputs[i]])[0]
            except Exception as e:          # reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_outputs_in_place_and_copies(qop, cpu_reference):
    x, = random_inputs(qop.inputs, seed=4)
    ref = cpu_reference("qop_cnn", [x])[0]
    out = np.full((1, 10), 99, np.int8)
    res = qop.run([x], outputs=[out])
    assert res[0] is out
    np.testing.assert_array_equal(out, ref)
    # a non-contiguous input is copied, with the same result
    big = np.zeros((1, 3, 16, 32), np.int8)
    big[..., ::2] = x
    view = big[..., ::2]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(qop.run([view])[0], ref)
    # a list is converted to the input's dtype
    np.testing.assert_array_equal(qop.run([x.tolist()])[0], ref)
    with pytest.raises(npurt.InvalidInput, match="writable C-contiguous"):
        qop.run([x], outputs=[np.zeros((1, 10), np.int16)])
    ro = np.zeros((1, 10), np.int8)
    ro.flags.writeable = False
    with pytest.raises(npurt.InvalidInput):
        qop.run([x], outputs=[ro])


def test_model_from_bytes(cpu_reference):
    data = open(model_path("qop_cnn"), "rb").read()
    x = int8s((1, 3, 16, 16), seed=5)
    with npurt.create_runner(data, device=DEVICE) as r:
        assert r.model.name == "qop_cnn"
        np.testing.assert_array_equal(r.run([x])[0],
                                      cpu_reference("qop_cnn", [x])[0])
    with npurt.create_runner(bytearray(data), device="cpu") as r:
        assert r.model.name == "qop_cnn"


def test_timeout_and_cancel(qop, cpu_reference):
    x, = random_inputs(qop.inputs, seed=6)
    ref = cpu_reference("qop_cnn", [x])[0]
    np.testing.assert_array_equal(qop.run([x], timeout=60)[0], ref)
    with pytest.raises(npurt.InvalidInput, match="timeout must be > 0"):
        qop.run([x], timeout=0)
    tok = npurt.CancelToken()
    assert not tok.cancelled
    tok.cancel()
    assert tok.cancelled
    with pytest.raises(npurt.RunCancelled) as e:
        qop.run([x], cancel=tok)
    assert e.value.errno == errno.ECANCELED
    assert e.value.detail == "run cancelled through its npurt_cancel token"
    tok.reset()
    np.testing.assert_array_equal(qop.run([x], cancel=tok)[0], ref)


def test_close():
    r = npurt.create_runner(model_path("qop_cnn"), device=DEVICE)
    x, = random_inputs(r.inputs)
    r.run([x])
    r.close()
    assert r.closed and "closed" in repr(r)
    with pytest.raises(npurt.SessionClosed) as e:
        r.run([x])
    assert e.value.errno == errno.ESHUTDOWN
    r.close()       # idempotent
    # the devices are free again: a new runner on the same spec opens
    with npurt.create_runner(model_path("qop_cnn"), device=DEVICE) as r2:
        r2.run([x])
    assert r2.closed


def test_close_while_running():
    """close() from one thread while others run: runs in progress finish,
    later ones raise SessionClosed, nothing crashes or hangs."""
    r = npurt.create_runner(model_path("qop_cnn"), device=DEVICE)
    x, = random_inputs(r.inputs)
    started = threading.Barrier(5)
    outcome = []

    def loop():
        started.wait()
        try:
            while True:
                r.run([x])
        except npurt.SessionClosed as e:
            outcome.append(e.errno)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    r.close()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert outcome == [errno.ESHUTDOWN] * 4
