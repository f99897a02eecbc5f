"""A Python FastStream 0.7.8 service that the interoperability tests drive: one process per broker.

    python peer.py <kafka|rabbit|nats|redis|mqtt> <url> <plan as JSON>

The plan lists the subscribers to declare before the broker starts: `{"subscribers": [{"id", "handler",
"args", "kwargs", "via"}]}`; `args` and `kwargs` go to FastStream's `broker.subscriber()` as they are, after
`revive()`. When the broker is started the peer prints `{"event": "ready"}`, then reads commands, one JSON
object a line on stdin, and answers each on stdout with `{"id", "ok", "result" | "error"}`:

    {"id": 1, "op": "publish", "body": <body>, "kwargs": {...}, "via": "5.0"}
    {"id": 2, "op": "publish_batch", "bodies": [<body>, ...], "kwargs": {...}}
    {"id": 3, "op": "request", "body": <body>, "args": [...], "kwargs": {...}}  → the reply, as message() sees it

Every message a subscriber receives is printed as `{"event": "got", "sub": <id>, ...message()}`. Bodies travel
as `{"json": value}`, `{"text": str}`, `{"bytes": base64}`, `{"model": "Order", "json": fields}` (a pydantic
model), `{"none": true}`, or `{"batch": [body, ...]}` for what a batch subscriber received.
"""

import asyncio
import base64
import json
import logging
import os
import sys
from typing import Any

from pydantic import BaseModel

from faststream import Context


class Order(BaseModel):
    """The JSON object both sides validate: pydantic here, arktype in the tests."""

    id: int
    item: str
    qty: int


class Quote(BaseModel):
    """The reply of the FastStream responder."""

    order_id: int
    total: float
    by: str


# The protocol owns the process's stdout; anything else printed there (FastStream's logs) goes to stderr.
PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)


def emit(line: dict[str, Any]) -> None:
    PROTOCOL.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    PROTOCOL.flush()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def body_of(value: Any) -> dict[str, Any]:
    """A decoded body as the tests read it, telling the Python types apart."""
    if value is None:
        return {"none": True}
    if isinstance(value, BaseModel):
        return {"model": type(value).__name__, "json": value.model_dump(mode="json")}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": b64(bytes(value))}
    if isinstance(value, str):
        return {"text": value}
    return {"json": value}


def value_of(body: dict[str, Any]) -> Any:
    """A body to publish, from its description."""
    if "none" in body:
        return None
    if "model" in body:
        return {"Order": Order, "Quote": Quote}[body["model"]](**body["json"])
    if "bytes" in body:
        return base64.b64decode(body["bytes"])
    if "text" in body:
        return body["text"]
    return body["json"]


def revive(value: Any) -> Any:
    """JSON arguments to FastStream's objects: `{"$bytes": b64}`, `{"$RabbitQueue": {...}}` and the like."""
    if isinstance(value, list):
        return [revive(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$bytes":
            return base64.b64decode(inner)
        if key.startswith("$"):
            return FACTORIES[key[1:]](**revive(inner))
    return {k: revive(v) for k, v in value.items()}


FACTORIES: dict[str, Any] = {}


def message(msg: Any) -> dict[str, Any]:
    """What arrived, beside the body: the raw bytes, headers and the standard fields FastStream read."""
    raw = msg.raw_message
    out: dict[str, Any] = {
        "headers": msg.headers,
        "content_type": msg.content_type,
        "correlation_id": msg.correlation_id,
        "reply_to": msg.reply_to,
        "message_id": msg.message_id,
    }
    if isinstance(msg.body, (list, tuple)):
        out["raw"] = [b64(b) for b in msg.body]
        out["batch_headers"] = getattr(msg, "batch_headers", None)
    else:
        out["raw"] = b64(msg.body)
    records = raw if isinstance(raw, (list, tuple)) else [raw]
    keys = [getattr(r, "key", None) for r in records]
    if any(k is not None for k in keys):
        out["keys"] = [b64(k) if isinstance(k, bytes) else k for k in keys]
        out["partitions"] = [getattr(r, "partition", None) for r in records]
    routing_key = getattr(raw, "routing_key", None)
    if routing_key is not None:
        out["routing_key"] = routing_key
    subject = getattr(raw, "subject", None)
    if isinstance(subject, str):
        out["subject"] = subject
    topic = getattr(raw, "topic", None)
    if isinstance(topic, str):
        out["topic"] = topic
    return out


def handler(sub_id: str, kind: str) -> Any:
    """A handler that reports what it got; `quote` also answers with a Quote."""

    def report(body: Any, msg: Any) -> None:
        described = {"batch": [body_of(b) for b in body]} if isinstance(body, list) else body_of(body)
        emit({"event": "got", "sub": sub_id, "body": described, **message(msg)})

    if kind == "order":

        async def on_order(body: Order, msg: Any = Context("message")) -> None:
            report(body, msg)

        return on_order
    if kind == "orders":

        async def on_orders(body: list[Order], msg: Any = Context("message")) -> None:
            report(body, msg)

        return on_orders
    if kind == "quote":

        async def on_request(body: Order, msg: Any = Context("message")) -> Quote:
            report(body, msg)
            return Quote(order_id=body.id, total=body.qty * 2.5, by="faststream")

        return on_request
    if kind == "any":

        async def on_any(body: Any, msg: Any = Context("message")) -> None:
            report(body, msg)

        return on_any
    raise ValueError(f"unknown handler kind {kind}")


def make_brokers(kind: str, url: str) -> dict[str, Any]:
    """The FastStream brokers of the peer, by name (`main`, or the MQTT protocol versions)."""
    # FastStream logs each message at `log_level`: below its logger's INFO, so only problems are printed.
    quiet = {"log_level": logging.DEBUG}
    if kind == "kafka":
        from faststream.kafka import KafkaBroker

        servers = url.removeprefix("kafka://").split("/")[0].split(",")
        return {"main": KafkaBroker(servers, **quiet)}
    if kind == "rabbit":
        from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue

        def exchange(name: str, type: str = "topic", **options: Any) -> RabbitExchange:
            return RabbitExchange(name, type=ExchangeType(type), **options)

        FACTORIES.update(RabbitQueue=RabbitQueue, RabbitExchange=exchange)
        return {"main": RabbitBroker(url, **quiet)}
    if kind == "nats":
        from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub

        FACTORIES.update(ConsumerConfig=ConsumerConfig, JStream=JStream, PullSub=PullSub)
        return {"main": NatsBroker(url, **quiet)}
    if kind == "redis":
        from faststream.redis import ListSub, PubSub, RedisBroker, StreamSub

        FACTORIES.update(ListSub=ListSub, StreamSub=StreamSub, PubSub=PubSub)
        return {"main": RedisBroker(url, **quiet)}
    if kind == "mqtt":
        from faststream.mqtt import MQTTBroker

        return {
            "5.0": MQTTBroker(url, version="5.0", **quiet),
            "3.1.1": MQTTBroker(url, version="3.1.1", **quiet),
        }
    raise ValueError(f"unknown broker {kind}")


async def run(command: dict[str, Any], brokers: dict[str, Any]) -> Any:
    broker = brokers[command.get("via", "main")]
    kwargs = revive(command.get("kwargs", {}))
    op = command["op"]
    if op == "publish":
        await broker.publish(value_of(command["body"]), **kwargs)
        return None
    if op == "publish_batch":
        await broker.publish_batch(*(value_of(b) for b in command["bodies"]), **kwargs)
        return None
    if op == "request":
        args = revive(command.get("args", []))
        reply = await broker.request(value_of(command["body"]), *args, **kwargs)
        return {"body": body_of(await reply.decode()), **message(reply)}
    raise ValueError(f"unknown op {op}")


async def answer(command: dict[str, Any], brokers: dict[str, Any]) -> None:
    try:
        emit({"id": command["id"], "ok": True, "result": await run(command, brokers)})
    except Exception as error:  # the test asserts on the failure
        emit({"id": command["id"], "ok": False, "error": f"{type(error).__name__}: {error}"})


async def main(kind: str, url: str, plan: dict[str, Any]) -> None:
    brokers = make_brokers(kind, url)
    for sub in plan.get("subscribers", []):
        broker = brokers[sub.get("via", "main")]
        args = revive(sub.get("args", []))
        kwargs = revive(sub.get("kwargs", {}))
        broker.subscriber(*args, **kwargs)(handler(sub["id"], sub["handler"]))
    for broker in brokers.values():
        await broker.start()
    if kind == "nats":
        # Core NATS delivers only to subscriptions the server already has: a round trip makes sure of them.
        await brokers["main"].connection.flush()
    emit({"event": "ready"})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        if not line.strip():
            continue
        task = asyncio.create_task(answer(json.loads(line), brokers))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    for broker in brokers.values():
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
