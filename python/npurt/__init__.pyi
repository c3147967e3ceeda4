# SPDX-License-Identifier: MIT
# Type stub of the npurt package (the public API; npurt/__init__.py and
# its modules hold the docstrings).
import os
from dataclasses import dataclass
from types import TracebackType
from typing import (Any, AsyncIterator, Dict, Iterator, List, Mapping,
                    Optional, Sequence, Tuple, Type, Union)

import numpy as np
import numpy.typing as npt

__version__: str
runtime_version: str

ModelSource = Union[str, os.PathLike, bytes, bytearray, memoryview]
Inputs = Union[Sequence[npt.ArrayLike], Mapping[str, npt.ArrayLike],
               np.ndarray]
Outputs = List[np.ndarray]


class NpuError(OSError):
    errno: int
    strerror: str
    @property
    def detail(self) -> str: ...

class DeviceBusy(NpuError): ...
class DeviceNotFound(NpuError): ...
class InvalidInput(NpuError, ValueError): ...
class QueueWaitTimeout(NpuError, TimeoutError): ...
class RunTimeout(NpuError, TimeoutError): ...
class RunCancelled(NpuError): ...
class SessionClosed(NpuError): ...


@dataclass(frozen=True)
class TensorDesc:
    name: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    layout: str
    axes: Tuple[str, ...]
    scale: float
    zero_point: int
    size: int
    @property
    def ndim(self) -> int: ...
    @property
    def elements(self) -> int: ...


@dataclass(frozen=True)
class Device:
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


@dataclass(frozen=True)
class Node:
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
    nodes: List[Node]


class Model:
    name: str
    inputs: List[TensorDesc]
    outputs: List[TensorDesc]
    def summary(self) -> str: ...
    def input(self, key: Union[int, str]) -> TensorDesc: ...
    def output(self, key: Union[int, str]) -> TensorDesc: ...


class CancelToken:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    def reset(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...


class _Session:
    model: Model
    inputs: List[TensorDesc]
    outputs: List[TensorDesc]
    devices: List[Device]
    spec: str
    batch_size: int
    fell_back_to_cpu: bool
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def summary(self) -> str: ...
    def __enter__(self: Any) -> Any: ...
    def __exit__(self, t: Optional[Type[BaseException]],
                 v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool: ...
    async def __aenter__(self: Any) -> Any: ...
    async def __aexit__(self, t: Optional[Type[BaseException]],
                        v: Optional[BaseException],
                        tb: Optional[TracebackType]) -> bool: ...


class Runner(_Session):
    def __init__(self, model: ModelSource, device: Optional[str] = ...,
                 worker_num: Optional[int] = ...,
                 batch_size: Optional[int] = ...) -> None: ...
    def __enter__(self) -> "Runner": ...
    async def __aenter__(self) -> "Runner": ...
    def run(self, inputs: Inputs, *,
            outputs: Optional[Union[Sequence[np.ndarray],
                                    Mapping[str, np.ndarray]]] = ...,
            timeout: Optional[float] = ...,
            cancel: Optional[CancelToken] = ...) -> Outputs: ...
    async def run_async(self, inputs: Inputs, *,
                        timeout: Optional[float] = ...) -> Outputs: ...


class Queue(_Session):
    def __init__(self, model: ModelSource, device: Optional[str] = ...,
                 worker_num: Optional[int] = ...,
                 batch_size: Optional[int] = ...,
                 input_queue_size: Optional[int] = ...,
                 output_queue_size: Optional[int] = ...) -> None: ...
    def __enter__(self) -> "Queue": ...
    async def __aenter__(self) -> "Queue": ...
    def submit(self, inputs: Inputs, context: Any = ...) -> None: ...
    def recv(self, timeout: Optional[float] = ...) -> Tuple[Any, Outputs]: ...
    async def recv_async(self) -> Tuple[Any, Outputs]: ...
    def fileno(self) -> int: ...
    def close_submit(self) -> None: ...
    def __iter__(self) -> Iterator[Tuple[Any, Outputs]]: ...
    def __aiter__(self) -> AsyncIterator[Tuple[Any, Outputs]]: ...
    async def __anext__(self) -> Tuple[Any, Outputs]: ...


def create_runner(model: ModelSource, device: Optional[str] = ...,
                  worker_num: Optional[int] = ...,
                  batch_size: Optional[int] = ...) -> Runner: ...
def create_queue(model: ModelSource, device: Optional[str] = ...,
                 worker_num: Optional[int] = ...,
                 batch_size: Optional[int] = ...,
                 input_queue_size: Optional[int] = ...,
                 output_queue_size: Optional[int] = ...) -> Queue: ...
def devices() -> List[Npu]: ...
def version() -> str: ...
def set_log_level(level: Union[str, int]) -> None: ...
def get_log_level() -> str: ...


class profile:
    path: str
    paths: List[str]
    def __init__(self, path: Union[str, os.PathLike],
                 *sessions: _Session) -> None: ...
    def __enter__(self) -> "profile": ...
    def __exit__(self, t: Optional[Type[BaseException]],
                 v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool: ...
