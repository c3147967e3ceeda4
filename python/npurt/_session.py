# SPDX-License-Identifier: MIT
"""Runners and queues: a model made resident on the devices of a spec,
run synchronously (:class:`Runner`) or through submit/recv
(:class:`Queue`), from threads or from asyncio."""
import asyncio
import errno as _errno
import functools
import itertools
import os
import threading
import warnings
import weakref
from dataclasses import dataclass

from . import _npurt
from ._errors import InvalidInput, QueueWaitTimeout, SessionClosed
from ._tensors import desc_from_tuple, prepare, prepare_outputs

# Open runners and queues, for npurt.profile() (see _system.py).
_open_sessions = weakref.WeakSet()
_session_hooks = []
_serials = itertools.count()


@dataclass(frozen=True)
class Device:
    """One device of a runner or queue: an NPU PE or fused PE pair
    (``kind`` "npu"), or the CPU (``kind`` "cpu", with ``threads``)."""
    kind: str
    name: str
    arch: str
    dev_index: int
    pe_first: int
    pe_count: int
    threads: int
    numa_node: int
    fw_version: str
    fw_caps: int
    mem_total: int


class Model:
    """A loaded model: its name, inputs and outputs (:class:`TensorDesc`)
    and a human summary. Loaded by :func:`create_runner` and
    :func:`create_queue` (``.model``)."""

    def __init__(self, cmodel):
        self._m = cmodel
        self.name = cmodel.name
        self.inputs = [desc_from_tuple(t) for t in cmodel.inputs()]
        self.outputs = [desc_from_tuple(t) for t in cmodel.outputs()]

    def summary(self):
        """Name, inputs and outputs with dtype, shape, layout, size and
        quantization, command and CPU-step counts."""
        return self._m.summary()

    def input(self, key):
        """The input description by index or name."""
        return _pick(self.inputs, key, "input")

    def output(self, key):
        """The output description by index or name."""
        return _pick(self.outputs, key, "output")

    def __repr__(self):
        return (f"Model({self.name!r}, inputs={self.inputs}, "
                f"outputs={self.outputs})")


def _pick(descs, key, what):
    if isinstance(key, int):
        return descs[key]
    for d in descs:
        if d.name == key:
            return d
    raise InvalidInput(_errno.EINVAL, f"no {what} named {key!r}")


class CancelToken:
    """Cancels the runs it is given (``Runner.run(..., cancel=token)``):
    :meth:`cancel` from any thread makes them raise :class:`RunCancelled`;
    runs still waiting for a worker stop at once, a run on a device ends
    with its current job. :meth:`reset` lets later runs through."""

    def __init__(self):
        self._c = _npurt.Cancel()

    def cancel(self):
        """Request cancellation (thread-safe)."""
        self._c.request()

    def reset(self):
        """No longer cancelled."""
        self._c.reset()

    @property
    def cancelled(self):
        """Whether cancellation was requested."""
        return self._c.requested


def _open(model, device):
    """A runtime for ``device`` and ``model`` loaded on it."""
    rt = _npurt.Runtime(device)
    try:
        if isinstance(model, (bytes, bytearray, memoryview)):
            m = rt.load_model(model, from_bytes=True)
        else:
            m = rt.load_model(os.fspath(model))
    except BaseException:
        rt.close()
        raise
    return rt, m


class _Session:
    """What runners and queues share: the runtime, the model, the devices,
    closing, context management, profiling hooks."""

    _kind = "session"

    def _setup(self, rt, cmodel):
        self._rt = rt
        self.model = Model(cmodel)
        self.devices = [Device(**d) for d in rt.devices()]
        self.spec = rt.spec
        self.fell_back_to_cpu = (self.spec == "auto" and
                                 all(d.kind == "cpu" for d in self.devices))
        if self.fell_back_to_cpu:
            warnings.warn("npurt: device spec \"auto\" found no free NPU PE "
                          "and runs on the CPU", RuntimeWarning,
                          stacklevel=3)
        self._closed = False
        self._serial = next(_serials)
        _open_sessions.add(self)
        for hook in list(_session_hooks):
            hook(self)

    def _descs(self):
        self.inputs = [desc_from_tuple(t) for t in self._c.inputs()]
        self.outputs = [desc_from_tuple(t) for t in self._c.outputs()]

    @property
    def closed(self):
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self):
        """Release the devices. Calls in progress finish first (a queue
        cancels its waiting runs and wakes blocked callers). Idempotent."""
        if self._closed:
            return
        self._closed = True
        _open_sessions.discard(self)
        self._c.close()
        self._rt.close()

    def summary(self):
        """The model summary and the devices."""
        devs = ", ".join(d.name for d in self.devices)
        return (f"{self.model.summary()}device spec {self.spec!r}: {devs}"
                f"{' (auto fell back to the CPU)' if self.fell_back_to_cpu else ''}\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        state = "closed" if self._closed else self.spec
        return f"<npurt.{type(self).__name__} {self.model.name!r} on {state}>"


class Runner(_Session):
    """Synchronous inference (:func:`create_runner`). Thread-safe: runs
    from many threads spread over every worker of every device, and the
    GIL is released while a run waits.

    Attributes: ``model`` (:class:`Model`), ``inputs`` and ``outputs``
    (:class:`TensorDesc` with the batch folded into the outermost
    dimension), ``devices``, ``spec``, ``batch_size``,
    ``fell_back_to_cpu``.
    """

    def __init__(self, model, device=None, worker_num=None, batch_size=None):
        rt, m = _open(model, device)
        try:
            self._c = _npurt.Runner(rt, m, worker_num or 0, batch_size or 0)
        except BaseException:
            rt.close()
            raise
        self.batch_size = batch_size or 1
        self._descs()
        self._setup(rt, m)

    def run(self, inputs, *, outputs=None, timeout=None, cancel=None):
        """Run the model once and return its outputs as numpy arrays.

        ``inputs``: a sequence in model order, a dict by input name, or one
        array for a one-input model. Each must have the input's dtype and
        shape (:attr:`inputs`). C-contiguous arrays are used in place; other
        arrays are copied once. ``outputs``: optional arrays to write into
        (else fresh ones). ``timeout``: seconds, else :class:`RunTimeout`.
        ``cancel``: a :class:`CancelToken`.
        """
        ins = prepare(self.inputs, inputs)
        outs = prepare_outputs(self.outputs, outputs)
        self._run(ins, outs, timeout, cancel._c if cancel else None)
        return outs

    def _run(self, ins, outs, timeout, ccancel):
        if timeout is None:
            ms = 0
        elif timeout <= 0:
            raise InvalidInput(_errno.EINVAL, "timeout must be > 0 seconds")
        else:
            ms = min(max(1, int(timeout * 1000 + 0.999)), 2**32 - 1)
        self._c.run(ins, outs, ms, ccancel)

    async def run_async(self, inputs, *, timeout=None):
        """:meth:`run` for asyncio: the run waits on a worker thread of the
        loop's default executor, the loop stays free. Cancelling the task
        cancels the run (it stops waiting for a worker, or ends with its
        current device job)."""
        ins = prepare(self.inputs, inputs)
        outs = prepare_outputs(self.outputs, None)
        token = _npurt.Cancel()
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(None, functools.partial(
            self._run, ins, outs, timeout, token))
        try:
            await asyncio.shield(fut)
        except asyncio.CancelledError:
            token.request()
            # The run ends on its thread (RunCancelled): consume that.
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            raise
        return outs


class Queue(_Session):
    """Asynchronous inference (:func:`create_queue`): :meth:`submit` runs
    with a context, :meth:`recv` them in completion order. Submitted inputs
    are copied at once (the arrays may be reused). Also an asyncio
    receiver (:meth:`recv_async`, ``async for``) on the queue's pollable
    fd, and a plain iterator over the results until the submit side is
    closed and drained."""

    def __init__(self, model, device=None, worker_num=None, batch_size=None,
                 input_queue_size=None, output_queue_size=None):
        rt, m = _open(model, device)
        try:
            self._c = _npurt.Queue(rt, m, worker_num or 0, batch_size or 0,
                                   input_queue_size or 0,
                                   output_queue_size or 0)
        except BaseException:
            rt.close()
            raise
        self.batch_size = batch_size or 1
        self._contexts = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._descs()
        self._setup(rt, m)

    def submit(self, inputs, context=None):
        """Queue one run of ``inputs`` (as :meth:`Runner.run`). Blocks
        (without the GIL) while the input queue is full. ``context`` comes
        back with the result."""
        ins = prepare(self.inputs, inputs)
        with self._lock:
            cid = next(self._ids)
            self._contexts[cid] = context
        try:
            self._c.submit(ins, cid)
        except BaseException:
            with self._lock:
                self._contexts.pop(cid, None)
            raise

    def _take(self, cid):
        with self._lock:
            return self._contexts.pop(cid, None)

    def recv(self, timeout=None):
        """The next finished run as ``(context, outputs)``. ``timeout`` in
        seconds (None: wait; 0: poll) else :class:`QueueWaitTimeout`. A
        failed run raises its error with ``.context`` set;
        :class:`SessionClosed` at the end of the stream (after
        :meth:`close_submit`) or when the queue is closed."""
        ms = (-1 if timeout is None else
              min(max(0, int(timeout * 1000 + 0.999)), 2**31 - 1))
        outs = prepare_outputs(self.outputs, None)
        try:
            cid = self._c.recv(outs, ms)
        except Exception as e:
            cid = getattr(e, "context_id", None)
            if cid is not None:
                e.context = self._take(cid)
            raise
        return self._take(cid), outs

    def fileno(self):
        """An fd that polls readable while :meth:`recv` would not block."""
        return self._c.fileno()

    async def recv_async(self):
        """:meth:`recv` for asyncio: waits on :meth:`fileno` with
        ``loop.add_reader``, never blocking the loop."""
        loop = asyncio.get_running_loop()
        fd = self.fileno()
        while True:
            try:
                return self.recv(timeout=0)
            except QueueWaitTimeout:
                pass
            ready = loop.create_future()
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            try:
                await ready
            finally:
                loop.remove_reader(fd)

    def close_submit(self):
        """No more submits: runs already submitted finish and are received,
        then :meth:`recv` raises :class:`SessionClosed` (end of stream)."""
        self._c.close_submit()

    def __iter__(self):
        """``(context, outputs)`` until the end of the stream."""
        while True:
            try:
                yield self.recv()
            except SessionClosed as e:
                if e.errno == _errno.EPIPE:
                    return
                raise

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return await self.recv_async()
        except SessionClosed as e:
            if e.errno == _errno.EPIPE:
                raise StopAsyncIteration from None
            raise


def create_runner(model, device=None, worker_num=None, batch_size=None):
    """Load ``model`` and make it resident on the devices of ``device``.

    ``model``: a path (``.onnx``, compiled through the compile cache, or
    ``.npuprog``) or the model's bytes. ``device``: a device spec
    ("warboy(2)*1", "npu0pe1", "npu:0:0-1", "cpu", "cpu(4)", "auto", lists
    joined by commas); None means ``$NPU_DEVICES``, else "auto" (which
    warns when it falls back to the CPU). ``worker_num``: concurrent runs
    per device (default 2). ``batch_size``: runs per call (default 1).

    Returns a :class:`Runner` (a context manager).
    """
    return Runner(model, device, worker_num, batch_size)


def create_queue(model, device=None, worker_num=None, batch_size=None,
                 input_queue_size=None, output_queue_size=None):
    """As :func:`create_runner`, for submit/recv (:class:`Queue`).
    ``input_queue_size``: runs waiting for a worker before submit blocks
    (default 8); ``output_queue_size``: finished runs waiting for recv
    (default 8)."""
    return Queue(model, device, worker_num, batch_size, input_queue_size,
                 output_queue_size)
