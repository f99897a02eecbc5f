"""RabbitMQ, drain a pre-filled queue with acks, consumed by Python: the peer of `bench/rabbitmq/bench.ts drain`.

    $SLUICE_PYTHON bench/python/rabbitmq_drain.py <raw-python|faststream> drain [count] [window]

The fill is the TypeScript script's, done the same way from aio-pika and not timed: `count` JSON messages of
~100 bytes to a non-durable queue (bound to amq.topic like the TypeScript arms' queue), each with content type,
message id, correlation id, empty headers, delivery mode 1 and a timestamp, published on a confirm channel with
at most `window` unconfirmed. The drain, prefetch `window` (256), each body decoded and acked after the handler:
`raw-python` is aio-pika's `queue.consume` callback (json.loads when the content type says JSON, then
`message.ack()`), `faststream` a FastStream 0.7.8 RabbitBroker subscriber (default ack policy: ack after the
handler) whose handler takes the decoded dict, logger off. Timed like the TypeScript arms: from the start of
consuming (connection made before) to the last message. Prints one JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os
import time
import uuid
from typing import Awaitable

import aio_pika

from _measure import Counter, Timed, arm_and_count, drain_broker, to_json, window_argument, windowed

PAYLOAD = {
    "id": 123456,
    "item": "a cup of green tea",
    "quantity": 2,
    "price": 3.5,
    "note": "no sugar, thanks!!",
}


async def fill(channel: aio_pika.abc.AbstractChannel, queue: str, count: int, window: int) -> None:
    def send() -> Awaitable[object]:
        id = str(uuid.uuid4())
        message = aio_pika.Message(
            to_json(PAYLOAD),
            content_type="application/json",
            message_id=id,
            correlation_id=id,
            headers={},
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
            timestamp=int(time.time()),
        )
        return channel.default_exchange.publish(message, routing_key=queue)

    await windowed(count, window, send)


async def main() -> None:
    arm, count = arm_and_count(100_000)
    window = window_argument()
    url = os.environ.get("SLUICE_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
    name = f"bench_py{os.getpid()}_{uuid.uuid4().hex[:6]}"
    connection = await aio_pika.connect(url)
    setup = await connection.channel(publisher_confirms=True)
    queue = await setup.declare_queue(name, durable=False, auto_delete=False)
    await queue.bind("amq.topic", name)
    timed = Timed()
    counter = Counter(count, timed, begin_at_first=False)
    try:
        await fill(setup, name, count, window)
        if arm == "raw-python":
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=window)
            consumed = await channel.get_queue(name, ensure=False)

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                if message.content_type == "application/json":
                    json.loads(message.body)
                await message.ack()
                counter()

            timed.begin()
            await consumed.consume(on_message)
            await counter.finished.wait()
            await channel.close()
        else:
            from faststream.rabbit import Channel, RabbitBroker, RabbitQueue

            broker = RabbitBroker(url, logger=None)

            @broker.subscriber(
                RabbitQueue(name, durable=False, auto_delete=False),
                channel=Channel(prefetch_count=window),
            )
            async def handle(body: dict) -> None:
                counter()

            await drain_broker(broker, counter, timed)
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()
    timed.report(arm, "drain", count)


asyncio.run(main())
