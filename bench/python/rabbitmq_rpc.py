"""Request/reply latency on RabbitMQ from Python: the peer of bench/rabbitmq/rpc.ts.

    $SLUICE_PYTHON bench/python/rabbitmq_rpc.py <raw-python|faststream> [count]

`count` sequential round trips of the same ~100-byte JSON request answered with `{"ok": true, "id": …}`,
responder and requester in this process, after a warm-up of 200 trips or more (up to 5 s), over direct
reply-to (`amq.rabbitmq.reply-to`). `raw-python` is aio-pika as bench/rabbitmq/rpc.ts's raw arm uses amqplib:
a channel consumes the reply pseudo-queue (no ack) and publishes the requests to amq.topic with the queue's
name as routing key; the responder's channel consumes the queue, decodes the body, publishes the reply, then
acks (publishes not mandatory, as amqplib's are; with aio-pika's default, mandatory, this RabbitMQ sent every
reply back as returned while it also delivered it).
`faststream` is FastStream 0.7.8 `broker.request()` (its reply decoded) to a queue subscriber whose handler
takes the decoded dict and returns the reply, logger off; FastStream's channel is a queue on the default
exchange. Prints one JSON line with p50 and p99 (bench/python/_measure.py).
"""

import asyncio
import json
import os
import uuid

from _measure import REQUEST, arm_and_count, measure_rpc, to_json

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


async def main() -> None:
    arm, count = arm_and_count(2000)
    url = os.environ.get("SLUICE_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
    name = f"bench_rpc_py{os.getpid()}"
    if arm == "raw-python":
        import aio_pika

        connection = await aio_pika.connect(url)
        responder = await connection.channel(publisher_confirms=False)
        queue = await responder.declare_queue(name, durable=False, auto_delete=True)
        await queue.bind("amq.topic", name)

        async def respond(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            body = json.loads(message.body)
            reply = aio_pika.Message(
                to_json({"ok": True, "id": body["id"]}),
                content_type="application/json",
                correlation_id=message.correlation_id,
            )
            await responder.default_exchange.publish(reply, routing_key=message.reply_to, mandatory=False)
            await message.ack()

        await queue.consume(respond)
        requester = await connection.channel(publisher_confirms=False)
        topic = await requester.get_exchange("amq.topic", ensure=False)
        pending: dict[str, asyncio.Future] = {}

        async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            waiting = pending.get(message.correlation_id)
            if waiting:
                waiting.set_result(json.loads(message.body))

        replies = await requester.get_queue(DIRECT_REPLY_TO, ensure=False)
        await replies.consume(on_reply, no_ack=True)

        async def trip() -> object:
            id = str(uuid.uuid4())
            pending[id] = asyncio.get_running_loop().create_future()
            try:
                request = aio_pika.Message(
                    to_json(REQUEST),
                    content_type="application/json",
                    correlation_id=id,
                    message_id=id,
                    reply_to=DIRECT_REPLY_TO,
                )
                await topic.publish(request, routing_key=name, mandatory=False)
                return await asyncio.wait_for(pending[id], 5)
            finally:
                del pending[id]

        await measure_rpc(arm, count, trip)
        await connection.close()
        return
    from faststream.rabbit import RabbitBroker, RabbitQueue

    broker = RabbitBroker(url, logger=None)

    @broker.subscriber(RabbitQueue(name, durable=False, auto_delete=True))
    async def handle(body: dict) -> dict:
        return {"ok": True, "id": body["id"]}

    await broker.start()

    async def trip() -> object:
        return await (await broker.request(REQUEST, name, timeout=5)).decode()

    await measure_rpc(arm, count, trip)
    await broker.stop()


asyncio.run(main())
