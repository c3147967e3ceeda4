# SPDX-License-Identifier: MIT
"""Every model (gen-models.py's, plus NPURT_TEST_EXTRA_MODELS): random
inputs give byte-identical outputs on the device under test and on the
CPU, through a runner and through a queue."""
import os

import numpy as np
import pytest

import npurt
from conftest import DEVICE, EXTRA_MODELS, MODELS, random_inputs

GENERATED = ["qop_cnn", "qdq_cnn", "float_cnn", "mixed_mlp"]
PATHS = [os.path.join(MODELS, n + ".onnx") for n in GENERATED] + EXTRA_MODELS


@pytest.mark.parametrize("path", PATHS, ids=os.path.basename)
def test_device_equals_cpu(path):
    # One runtime at a time may hold the NPU spec: runner, then queue.
    with npurt.create_runner(path, device="cpu") as ref:
        inputs = [random_inputs(ref.inputs, seed=seed) for seed in range(2)]
        want = [ref.run(xs) for xs in inputs]
        descs = ref.outputs
    with npurt.create_runner(path, device=DEVICE) as r:
        got = [r.run(xs) for xs in inputs]
    with npurt.create_queue(path, device=DEVICE) as q:
        for i, xs in enumerate(inputs):
            q.submit(xs, context=i)
        qgot = dict(q.recv(timeout=300) for _ in inputs)
    for i in range(len(inputs)):
        for w, g, qg, d in zip(want[i], got[i], qgot[i], descs):
            assert g.dtype == d.dtype and g.shape == d.shape
            np.testing.assert_array_equal(g, w)
            np.testing.assert_array_equal(qg, w)
