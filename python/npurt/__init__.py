# SPDX-License-Identifier: MIT
"""npurt: Python access to libnpurt, the runtime of the rm_npu NPU stack.

Run a model on NPU processing elements or on the CPU, with numpy arrays::

    import numpy as np, npurt
    with npurt.create_runner("model.onnx", device="warboy(2)*1") as r:
        print(r.model.inputs)
        y, = r.run([np.zeros(r.inputs[0].shape, r.inputs[0].dtype)])

See :func:`create_runner`, :func:`create_queue`, :class:`Runner`,
:class:`Queue`, :func:`devices`, :func:`profile` and the exceptions
(:class:`NpuError` and its subclasses).
"""
from ._errors import (NpuError, DeviceBusy, DeviceNotFound, InvalidInput,
                      QueueWaitTimeout, RunTimeout, RunCancelled,
                      SessionClosed)
from ._tensors import TensorDesc
from ._session import (CancelToken, Device, Model, Queue, Runner,
                       create_queue, create_runner)
from ._system import (Node, Npu, devices, get_log_level, profile,
                      set_log_level, version)
from . import _npurt

__version__ = "1.4.0"
#: MAJOR.MINOR.PATCH of the libnpurt actually loaded.
runtime_version = _npurt.version()

__all__ = [
    "create_runner", "create_queue", "Runner", "Queue", "Model",
    "TensorDesc", "Device", "CancelToken", "devices", "Npu", "Node",
    "version", "runtime_version", "set_log_level", "get_log_level",
    "profile", "NpuError", "DeviceBusy", "DeviceNotFound", "InvalidInput",
    "QueueWaitTimeout", "RunTimeout", "RunCancelled", "SessionClosed",
]
