"""NATS JetStream, drain a stream backlog with acks, consumed by Python: the peer of `bench/nats/bench.ts drain`.

    $SLUICE_PYTHON bench/python/nats_jetstream_drain.py <raw-python|faststream> drain [count] [window]

The fill is the TypeScript script's, done the same way from nats-py and not timed: a new in-memory stream
(`<stream>.>`), `count` JSON messages of ~100 bytes to `<stream>.orders` with a content-type header, at most
`window` awaiting their JetStream ack. The drain, a durable pull consumer `drain` with explicit acks, `window`
(256) messages per pull, each body decoded and acked after the handler: `raw-python` is nats-py's
`pull_subscribe` and `fetch(window)` (json.loads when the content type says JSON, then `ack()`), `faststream` a
FastStream 0.7.8 NatsBroker subscriber on the stream with `PullSub(batch_size=window)` (default ack policy: ack
after the handler) whose handler takes the decoded dict, logger off. Timed like the TypeScript arms: from the
start of consuming (connection made and, for raw-python, the consumer created before) to the last message.
Prints one JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os
import uuid

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType

from _measure import Counter, Timed, arm_and_count, drain_broker, to_json, window_argument, windowed

PAYLOAD = {
    "id": 123456,
    "item": "a cup of green tea",
    "quantity": 2,
    "price": 3.5,
    "note": "no sugar, thanks!!",
}


async def fill(js, subject: str, count: int, window: int) -> None:
    body = to_json(PAYLOAD)
    headers = {"content-type": "application/json"}
    await windowed(count, window, lambda: js.publish(subject, body, headers=headers))


async def main() -> None:
    arm, count = arm_and_count(100_000)
    window = window_argument()
    url = os.environ.get("SLUICE_NATS_URL", "nats://127.0.0.1:4222")
    stream = f"bench_py{os.getpid()}_{uuid.uuid4().hex[:6]}"
    subject = f"{stream}.orders"
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[f"{stream}.>"], storage=StorageType.MEMORY)
    timed = Timed()
    counter = Counter(count, timed, begin_at_first=False)
    try:
        await fill(js, subject, count, window)
        if arm == "raw-python":
            config = ConsumerConfig(durable_name="drain", ack_policy=AckPolicy.EXPLICIT, filter_subject=subject)
            await js.add_consumer(stream, config)
            pull = await js.pull_subscribe(subject, durable="drain", stream=stream)
            timed.begin()
            while counter.seen < count:
                for message in await pull.fetch(window, timeout=5):
                    if message.headers and message.headers.get("content-type") == "application/json":
                        json.loads(message.data)
                    await message.ack()
                    counter()
            await pull.unsubscribe()
        else:
            from faststream.nats import JStream, NatsBroker, PullSub

            broker = NatsBroker(url, logger=None)

            @broker.subscriber(
                subject,
                stream=JStream(stream, declare=False),
                durable="drain",
                pull_sub=PullSub(batch_size=window),
            )
            async def handle(body: dict) -> None:
                counter()

            await drain_broker(broker, counter, timed)
    finally:
        await js.delete_stream(stream)
        await nc.close()
    timed.report(arm, "drain", count)


asyncio.run(main())
