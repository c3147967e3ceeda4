# SPDX-License-Identifier: MIT
"""Tensor descriptions and the numpy side of runs: inputs checked and made
C-contiguous (a copy only when they are not), outputs allocated."""
import errno as _errno
from dataclasses import dataclass

import numpy as np

from ._errors import InvalidInput

# enum npurt_dtype -> numpy dtype. bfloat16 has no numpy type: its raw
# 16-bit patterns travel as uint16.
DTYPES = {
    1: np.dtype(np.float16),
    2: np.dtype(np.float32),
    3: np.dtype(np.uint16),
    4: np.dtype(np.int8),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    8: np.dtype(np.uint8),
}


@dataclass(frozen=True)
class TensorDesc:
    """What one input or output of a model is.

    ``shape`` is outermost first; ``axes`` names each axis from the layout
    ("batch", "channel", "height", "width", ... or "dim<i>" without a
    layout); ``scale`` and ``zero_point`` are the affine quantization
    (real = scale * (q - zero_point)), scale 0.0 when not quantized.
    """
    name: str
    shape: tuple
    dtype: np.dtype
    layout: str
    axes: tuple
    scale: float
    zero_point: int
    size: int

    @property
    def ndim(self):
        """Number of dimensions."""
        return len(self.shape)

    @property
    def elements(self):
        """Number of elements."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __repr__(self):
        q = (f", scale={self.scale:g}, zero_point={self.zero_point}"
             if self.scale else "")
        lay = f", layout={self.layout!r}" if self.layout else ""
        return (f"TensorDesc(name={self.name!r}, shape={self.shape}, "
                f"dtype={self.dtype}{lay}{q})")


def desc_from_tuple(t):
    """A TensorDesc from the extension's (name, dtype, shape, layout, axes,
    scale, zero_point, size) tuple."""
    name, dtype, shape, layout, axes, scale, zp, size = t
    return TensorDesc(name, tuple(shape), DTYPES[dtype], layout, tuple(axes),
                      float(scale), int(zp), int(size))


def _invalid(msg):
    return InvalidInput(_errno.EINVAL, msg)


def order_by_name(descs, inputs, what="input"):
    """``inputs`` (a sequence in model order, a dict by name, or one array
    for a one-input model) as a list in model order."""
    names = [d.name for d in descs]
    if isinstance(inputs, dict):
        unknown = [k for k in inputs if k not in names]
        if unknown:
            raise _invalid(f"the model has no {what} named {unknown[0]!r} "
                           f"({what}s: {', '.join(map(repr, names))})")
        missing = [n for n in names if n not in inputs]
        if missing:
            raise _invalid(f"{what} {missing[0]!r} not given "
                           f"({what}s: {', '.join(map(repr, names))})")
        return [inputs[n] for n in names]
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    inputs = list(inputs)
    if len(inputs) != len(descs):
        raise _invalid(f"{len(descs)} {what}(s) expected "
                       f"({', '.join(map(repr, names))}), {len(inputs)} given")
    return inputs


def prepare(descs, inputs, what="input"):
    """Check ``inputs`` against ``descs`` and return C-contiguous arrays in
    model order. An array of the right dtype and shape that is already
    C-contiguous is returned as it is (no copy); a non-contiguous one is
    copied; non-arrays (lists, scalars) are converted to the model's dtype.
    A dtype or shape that differs is an InvalidInput, never a conversion."""
    out = []
    for d, x in zip(descs, order_by_name(descs, inputs, what)):
        if not isinstance(x, np.ndarray):
            x = np.asarray(x, dtype=d.dtype)
        if x.dtype != d.dtype:
            raise _invalid(f"{what} {d.name!r}: dtype {x.dtype}, the model "
                           f"takes {d.dtype}")
        if x.shape != d.shape:
            raise _invalid(f"{what} {d.name!r}: shape {x.shape}, the model "
                           f"takes {d.shape}")
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        out.append(x)
    return out


def prepare_outputs(descs, outputs):
    """Fresh arrays for ``descs``, or the caller's ``outputs`` checked:
    writable, C-contiguous, of the right dtype and shape."""
    if outputs is None:
        return [np.empty(d.shape, d.dtype) for d in descs]
    arrays = order_by_name(descs, outputs, "output")
    for d, x in zip(descs, arrays):
        if (not isinstance(x, np.ndarray) or x.dtype != d.dtype or
                x.shape != d.shape or not x.flags.c_contiguous or
                not x.flags.writeable):
            raise _invalid(f"output {d.name!r}: a writable C-contiguous "
                           f"{d.dtype} array of shape {d.shape} is needed")
    return arrays
