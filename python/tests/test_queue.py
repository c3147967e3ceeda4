# SPDX-License-Identifier: MIT
"""Queue: submit/recv with contexts, results equal to the CPU device's,
timeouts, end of stream, the pollable fd, batches, closing while callers
wait, and the GIL released while submit and recv block."""
import errno
import os
import select
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import npurt
from conftest import DEVICE, model_path, random_inputs


@pytest.fixture
def queue():
    with npurt.create_queue(model_path("qop_cnn"), device=DEVICE,
                            worker_num=2, input_queue_size=4,
                            output_queue_size=4) as q:
        yield q


def test_contexts_and_results(queue, cpu_reference):
    inputs = [random_inputs(queue.inputs, seed=20 + i)[0] for i in range(12)]
    got = {}

    def receiver():
        for _ in inputs:
            ctx, (y,) = queue.recv(timeout=60)
            got[ctx] = y

    t = threading.Thread(target=receiver)
    t.start()
    for i, x in enumerate(inputs):
        queue.submit([x], context=("run", i))
        x[...] = 0      # submit copied the input: reuse is safe
    t.join(120)
    assert not t.is_alive()
    assert sorted(got) == [("run", i) for i in range(12)]
    for i in range(12):
        want = cpu_reference("qop_cnn", [random_inputs(queue.inputs,
                                                       seed=20 + i)[0]])[0]
        np.testing.assert_array_equal(got[("run", i)], want)


def test_timeout(queue):
    t0 = time.monotonic()
    with pytest.raises(npurt.QueueWaitTimeout) as e:
        queue.recv(timeout=0.05)
    assert time.monotonic() - t0 >= 0.05       # waited the whole timeout
    assert e.value.errno == errno.ETIMEDOUT
    assert isinstance(e.value, TimeoutError)
    with pytest.raises(npurt.QueueWaitTimeout):
        queue.recv(timeout=0)


def test_end_of_stream(queue, cpu_reference):
    x, = random_inputs(queue.inputs, seed=30)
    for i in range(3):
        queue.submit({"x": x}, context=i)
    queue.close_submit()
    with pytest.raises(npurt.SessionClosed) as e:
        queue.submit([x])
    assert e.value.errno == errno.EPIPE
    results = list(queue)       # until the end of the stream
    assert sorted(c for c, _ in results) == [0, 1, 2]
    for _, (y,) in results:
        np.testing.assert_array_equal(y, cpu_reference("qop_cnn", [x])[0])
    with pytest.raises(npurt.SessionClosed) as e:
        queue.recv()
    assert e.value.errno == errno.EPIPE


def test_fd(queue):
    fd = queue.fileno()
    assert select.select([fd], [], [], 0)[0] == []
    x, = random_inputs(queue.inputs)
    queue.submit([x], context="c")
    assert select.select([fd], [], [], 60)[0] == [fd]
    assert queue.recv(timeout=0)[0] == "c"
    assert select.select([fd], [], [], 0)[0] == []


def test_batch(cpu_reference):
    with npurt.create_queue(model_path("qop_cnn"), device=DEVICE,
                            batch_size=2) as q:
        assert q.inputs[0].shape == (2, 3, 16, 16)
        xs = np.concatenate(random_inputs(q.model.inputs, seed=40) +
                            random_inputs(q.model.inputs, seed=41))
        q.submit([xs], context="b")
        ctx, (y,) = q.recv(timeout=60)
    assert ctx == "b" and y.shape == (2, 10)
    for i in range(2):
        np.testing.assert_array_equal(
            y[i:i + 1], cpu_reference("qop_cnn", [xs[i:i + 1]])[0])


def test_bad_submit_keeps_no_context(queue):
    with pytest.raises(npurt.InvalidInput):
        queue.submit([np.zeros((1, 3, 16, 16), np.float32)], context="bad")
    assert queue._contexts == {}


def test_close_wakes_blocked_recv():
    q = npurt.create_queue(model_path("qop_cnn"), device=DEVICE)
    caught = []
    entered = threading.Event()

    def waiter():
        entered.set()
        try:
            q.recv()
        except npurt.SessionClosed as e:
            caught.append(e.errno)

    t = threading.Thread(target=waiter)
    t.start()
    entered.wait()
    time.sleep(0.1)     # lets it block in recv (a closed queue also works)
    q.close()
    t.join(60)
    assert not t.is_alive()
    assert caught in ([errno.ECANCELED], [errno.ESHUTDOWN])
    with pytest.raises(npurt.SessionClosed):
        q.submit([np.zeros((1, 3, 16, 16), np.int8)])


GIL_PROBE = r"""
import sys, threading, time, numpy as np, npurt
q = npurt.create_queue(sys.argv[1], device=sys.argv[2], input_queue_size=1,
                       output_queue_size=1)
got = []
t = threading.Thread(target=lambda: got.append(q.recv()[0]))
t.start()
time.sleep(0.2)     # the other thread is now waiting in recv
# This thread runs Python while the other one waits in recv: possible only
# if recv released the GIL.
n = sum(1 for _ in range(200000))
q.submit([np.zeros((1, 3, 16, 16), np.int8)], context=n)
t.join()
print(got)
q.close()
"""


def test_gil_released_while_recv_blocks():
    """In a child process with a deadline: a recv that kept the GIL would
    hang it."""
    pkg = os.path.dirname(os.path.dirname(npurt.__file__))
    env = dict(os.environ, PYTHONPATH=pkg)
    out = subprocess.run([sys.executable, "-P", "-c", GIL_PROBE,
                          model_path("qop_cnn"), DEVICE], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[200000]"
