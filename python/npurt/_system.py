# SPDX-License-Identifier: MIT
"""What is not tied to one runner: the NPUs present, versions, the log
level, and the profiler as a context manager."""
import os
from dataclasses import dataclass, field

from . import _npurt
from . import _session

_LEVELS = {"INFO": 0, "WARN": 1, "WARNING": 1, "ERROR": 2, "OFF": 3}


@dataclass(frozen=True)
class Node:
    """A PE node (``npu0pe1``) or fused node (``npu0pe0-1``) and, for
    single PEs, the driver's counters."""
    name: str
    devnode: str
    dev_index: int
    pe_first: int
    pe_count: int
    owner_pid: int
    state: str
    busy_ns: int
    jobs_completed: int
    jobs_failed: int
    bytes_moved: int
    ops: int


@dataclass(frozen=True)
class Npu:
    """One NPU as sysfs describes it, with its nodes."""
    index: int
    num_pes: int
    arch: str
    fw_state: str
    fw_version: str
    abi_version: str
    uuid: str
    fw_caps: int
    mem_total: int
    mem_used: int
    bo_count: int
    numa_node: int
    nodes: list = field(default_factory=list)


def devices():
    """The NPUs present (an empty list when there is none or the driver is
    not loaded), each with its PE and fused nodes."""
    out = []
    for d in _npurt.discover():
        nodes = [Node(**n) for n in d.pop("nodes")]
        out.append(Npu(nodes=nodes, **d))
    return out


def version():
    """Runtime, driver ABI and firmware versions, for example
    "libnpurt 1.4.0 (uapi 1.0); npu0: driver abi 1.0, firmware 1.0.0
    (warboy)"."""
    return _npurt.version_full()


def set_log_level(level):
    """libnpurt's messages below ``level`` are not printed (stderr):
    "INFO", "WARN", "ERROR", "OFF" (any case) or 0..3. Overrides
    ``$NPU_LOG_LEVEL``."""
    if isinstance(level, str):
        try:
            level = _LEVELS[level.upper()]
        except KeyError:
            raise ValueError(f"log level {level!r}: INFO, WARN, ERROR or "
                             f"OFF") from None
    _npurt.set_log_level(int(level))


def get_log_level():
    """The current level's name."""
    return ["INFO", "WARN", "ERROR", "OFF"][_npurt.get_log_level()]


class profile:
    """Record a Chrome trace (open it in Perfetto) of what runners and
    queues do inside the ``with`` block::

        with npurt.profile("trace.json", runner) as p:
            runner.run(x)
        print(p.paths)

    With sessions given, those are traced; without, every runner and queue
    open when the block starts and every one created inside it. The first
    runtime (in the order the sessions were created) writes ``path``, the
    next ``stem.1.json``, ``stem.2.json``, ... (``paths`` lists them). The
    files are written when the block ends, or when a session created inside
    closes first.
    """

    def __init__(self, path, *sessions):
        self.path = os.fspath(path)
        self.paths = []
        self._sessions = sessions
        self._rts = []

    def _start(self, session):
        rt = session._rt
        if session.closed or any(r is rt for r in self._rts):
            return
        if not self._rts:
            p = self.path
        else:
            stem, ext = os.path.splitext(self.path)
            p = f"{stem}.{len(self._rts)}{ext}"
        rt.profiler_start(p)
        self._rts.append(rt)
        self.paths.append(p)

    def __enter__(self):
        if self._sessions:
            for s in self._sessions:
                self._start(s)
            return self
        for s in sorted(_session._open_sessions, key=lambda s: s._serial):
            self._start(s)
        _session._session_hooks.append(self._start)
        return self

    def __exit__(self, *exc):
        if self._start in _session._session_hooks:
            _session._session_hooks.remove(self._start)
        first = None
        for rt in self._rts:
            try:
                if rt.spec is not None:
                    rt.profiler_stop()
            except Exception as e:
                first = first or e
        self._rts = []
        if first and not exc[0]:
            raise first
        return False
