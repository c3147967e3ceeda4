# SPDX-License-Identifier: MIT
"""Fixtures of the npurt tests.

Environment (set by `make python-test` on the host and by
tests/vm/test_python.sh in the VM):
  NPURT_TEST_DEVICE       the device spec under test (default "cpu"; the VM
                          uses "warboy(2)*1"); results are compared with
                          the "cpu" device's, byte for byte
  NPURT_TEST_MODELS       folder of gen-models.py's models
  NPURT_TEST_EXTRA_MODELS more models (blank-separated paths), e.g. the
                          real models of tests/models: test_models.py runs
                          each with random inputs on the device and on the
                          CPU (default: tests/models/encoder.qop when
                          present)
"""
import os
import shutil
import tempfile

import numpy as np
import pytest

import npurt

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.environ.get("NPURT_TEST_MODELS",
                        os.path.join(HERE, "..", "..", "build", "python",
                                     "models"))
DEVICE = os.environ.get("NPURT_TEST_DEVICE", "cpu")
EXTRA_MODELS = os.environ.get("NPURT_TEST_EXTRA_MODELS", "").split()
# A real model (tests/models: a small quantized transformer encoder) when
# the tree is there; the VM stages only gen-models.py's models.
REAL_MODEL = os.path.join(HERE, "..", "..", "tests", "models", "encoder.qop",
                          "model.onnx")
if os.path.exists(REAL_MODEL) and not EXTRA_MODELS:
    EXTRA_MODELS = [REAL_MODEL]
ON_NPU = not DEVICE.startswith("cpu")

# A private compile cache for the session.
_cache = tempfile.mkdtemp(prefix="npurt-test-cache.")
os.environ["NPURT_CACHE_DIR"] = _cache
npurt.set_log_level("ERROR")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_cache, ignore_errors=True)


def model_path(name):
    """A model of gen-models.py by name ("qop_cnn")."""
    p = os.path.join(MODELS, name + ".onnx")
    if not os.path.exists(p):
        pytest.fail(f"{p} missing: run make python-test (it generates "
                    f"the models)")
    return p


def random_inputs(descs, seed=0):
    """Arrays for ``descs``: integers over their range, floats in [-2, 2)."""
    rng = np.random.default_rng(seed)
    out = []
    for d in descs:
        if d.dtype.kind == "f":
            out.append((rng.random(d.shape) * 4 - 2).astype(d.dtype))
        else:
            info = np.iinfo(d.dtype)
            out.append(rng.integers(info.min, info.max, d.shape,
                                    dtype=d.dtype, endpoint=True))
    return out


@pytest.fixture
def qop():
    """qop_cnn on the device under test: x int8 [1,3,16,16] -> y int8
    [1,10]."""
    with npurt.create_runner(model_path("qop_cnn"), device=DEVICE) as r:
        yield r


@pytest.fixture(scope="session")
def cpu_reference():
    """f(model, inputs) -> the outputs of the "cpu" device."""
    cache = {}

    def ref(name, inputs, batch_size=None):
        key = (name, batch_size)
        if key not in cache:
            cache[key] = npurt.create_runner(model_path(name), device="cpu",
                                             batch_size=batch_size)
        return cache[key].run(inputs)

    yield ref
    for r in cache.values():
        r.close()
