# SPDX-License-Identifier: MIT
"""asyncio: Runner.run_async (concurrent awaits, task cancellation) and
the queue's receiver on its pollable fd (recv_async, async for), with the
event loop never blocked."""
import asyncio

import numpy as np
import pytest

import npurt
from conftest import DEVICE, model_path, random_inputs


def test_run_async_concurrent(qop, cpu_reference):
    inputs = [random_inputs(qop.inputs, seed=50 + i)[0] for i in range(16)]

    async def main():
        return await asyncio.gather(*(qop.run_async([x]) for x in inputs))

    results = asyncio.run(main())
    for x, (y,) in zip(inputs, results):
        np.testing.assert_array_equal(y, cpu_reference("qop_cnn", [x])[0])


def test_run_async_cancel(qop, cpu_reference):
    x, = random_inputs(qop.inputs, seed=60)

    async def main():
        task = asyncio.create_task(qop.run_async([x]))
        await asyncio.sleep(0)      # started: waiting on its thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the runner is still usable
        return await qop.run_async({"x": x}, timeout=60)

    y, = asyncio.run(main())
    np.testing.assert_array_equal(y, cpu_reference("qop_cnn", [x])[0])


def test_run_async_errors(qop):
    async def main():
        with pytest.raises(npurt.InvalidInput, match="dtype float32"):
            await qop.run_async([np.zeros((1, 3, 16, 16), np.float32)])

    asyncio.run(main())


def test_recv_async_does_not_block_the_loop(cpu_reference):
    with npurt.create_queue(model_path("qop_cnn"), device=DEVICE) as q:
        x, = random_inputs(q.inputs, seed=70)
        ticks = []

        async def receiver():
            return await q.recv_async()

        async def ticker_then_submit():
            # runs while receiver() waits: the loop is free
            for i in range(5):
                ticks.append(i)
                await asyncio.sleep(0.01)
            q.submit([x], context="late")

        async def main():
            r = asyncio.create_task(receiver())
            await asyncio.sleep(0)
            await ticker_then_submit()
            return await asyncio.wait_for(r, 60)

        ctx, (y,) = asyncio.run(main())
    assert ticks == [0, 1, 2, 3, 4] and ctx == "late"
    np.testing.assert_array_equal(y, cpu_reference("qop_cnn", [x])[0])


def test_async_for(cpu_reference):
    async def main(q, inputs):
        for i, x in enumerate(inputs):
            q.submit([x], context=i)
        q.close_submit()
        return [item async for item in q]

    with npurt.create_queue(model_path("qop_cnn"), device=DEVICE) as q:
        inputs = [random_inputs(q.inputs, seed=80 + i)[0] for i in range(6)]
        got = asyncio.run(main(q, inputs))
    assert sorted(c for c, _ in got) == list(range(6))
    for ctx, (y,) in got:
        np.testing.assert_array_equal(
            y, cpu_reference("qop_cnn", [inputs[ctx]])[0])


def test_async_with_closes():
    async def main():
        async with npurt.create_queue(model_path("qop_cnn"),
                                      device=DEVICE) as q:
            assert not q.closed
        return q

    q = asyncio.run(main())
    assert q.closed
