# SPDX-License-Identifier: MIT
"""The exceptions of npurt, mapped from libnpurt's negative errno codes.

Every exception is an :class:`NpuError`, itself an :class:`OSError`: ``errno``
is the positive errno value and ``strerror`` (also ``detail``) libnpurt's
detail message of the failure (``npurt_last_error()``), naming what failed
and why.
"""
import errno as _errno

__all__ = ["NpuError", "DeviceBusy", "DeviceNotFound", "InvalidInput",
           "QueueWaitTimeout", "RunTimeout", "RunCancelled", "SessionClosed"]


class NpuError(OSError):
    """Base of every npurt error: ``errno`` and the ``detail`` message."""

    @property
    def detail(self):
        """libnpurt's sentence about the failure (same as ``strerror``)."""
        return self.strerror


class DeviceBusy(NpuError):
    """The devices asked for are held by another process (EBUSY), or fewer
    are free than the spec asks for (ENOSPC)."""


class DeviceNotFound(NpuError):
    """No such device, node or architecture (ENODEV, EXDEV), or its
    firmware is not ready."""


class InvalidInput(NpuError, ValueError):
    """A bad argument (EINVAL): inputs of the wrong count, name, dtype or
    shape, a bad device spec (the detail message gives the position), bad
    options."""


class QueueWaitTimeout(NpuError, TimeoutError):
    """``Queue.recv(timeout=...)``: nothing finished in time (ETIMEDOUT)."""


class RunTimeout(NpuError, TimeoutError):
    """``Runner.run(timeout=...)``: the run did not complete in time
    (ETIMEDOUT)."""


class RunCancelled(NpuError):
    """The run was cancelled through its :class:`npurt.CancelToken`
    (ECANCELED)."""


class SessionClosed(NpuError):
    """The runner or queue is closed (ESHUTDOWN), the queue's submit side is
    closed and every run was received (EPIPE: end of stream), or it was
    closed while a call waited (ECANCELED)."""


_BY_ERRNO = {
    _errno.EBUSY: DeviceBusy,
    _errno.ENOSPC: DeviceBusy,
    _errno.ENODEV: DeviceNotFound,
    _errno.EXDEV: DeviceNotFound,
    _errno.EINVAL: InvalidInput,
    _errno.EPIPE: SessionClosed,
    _errno.ESHUTDOWN: SessionClosed,
}


def error_from_errno(err, detail, op=""):
    """The exception for errno ``err`` (positive) with ``detail``; ``op``
    says what failed ("run", "recv", "submit", ...), which decides between
    the meanings of ETIMEDOUT and ECANCELED."""
    err = abs(err)
    if err == _errno.ETIMEDOUT:
        cls = QueueWaitTimeout if op == "recv" else RunTimeout
    elif err == _errno.ECANCELED:
        cls = RunCancelled if op == "run" else SessionClosed
    else:
        cls = _BY_ERRNO.get(err, NpuError)
    return cls(err, detail)
