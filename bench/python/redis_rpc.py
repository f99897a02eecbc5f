"""Request/reply latency on Redis from Python: the peer of bench/redis/rpc.ts.

    $SLUICE_PYTHON bench/python/redis_rpc.py <raw-python|faststream> [count]

`count` sequential round trips of the same ~100-byte JSON request answered with `{"ok": true, "id": …}`,
responder and requester in this process, after a warm-up of 200 trips or more (up to 5 s), over Pub/Sub in
FastStream's binary envelope. `raw-python` is redis-py's asyncio client as bench/redis/rpc.ts's raw arm uses
ioredis: one Pub/Sub connection subscribed to the request channel and a reply channel (once), one that
publishes; the responder reads the envelope and the JSON body and publishes the reply envelope to `reply_to`.
`faststream` is FastStream 0.7.8 `broker.request()` (its reply decoded; FastStream subscribes a new reply
channel for every request) to a channel subscriber whose handler takes the decoded dict and returns the reply,
logger off. Prints one JSON line with p50 and p99 (bench/python/_measure.py).
"""

import asyncio
import json
import os
import uuid

from _envelope import read_envelope, write_envelope
from _measure import REQUEST, arm_and_count, measure_rpc, to_json


def envelope(body: object, correlation_id: str, reply_to: str = "") -> bytes:
    headers = {
        "content-type": "application/json",
        "correlation_id": correlation_id,
        "message_id": correlation_id,
    }
    if reply_to:
        headers["reply_to"] = reply_to
    return write_envelope(headers, to_json(body))


async def main() -> None:
    arm, count = arm_and_count(2000)
    url = os.environ.get("SLUICE_REDIS_URL", "redis://127.0.0.1:6379")
    channel = f"bench-rpc-py{os.getpid()}"
    if arm == "raw-python":
        from redis.asyncio import Redis

        replies = f"bench-reply-{uuid.uuid4()}"
        client = Redis.from_url(url)
        pubsub = client.pubsub()
        pending: dict[str, asyncio.Future] = {}

        async def on_request(message) -> None:
            headers, body = read_envelope(message["data"])
            decoded = json.loads(body)
            reply = envelope({"ok": True, "id": decoded["id"]}, headers["correlation_id"])
            await client.publish(headers["reply_to"], reply)

        async def on_reply(message) -> None:
            headers, body = read_envelope(message["data"])
            waiting = pending.get(headers["correlation_id"])
            if waiting:
                waiting.set_result(json.loads(body))

        await pubsub.subscribe(**{channel: on_request, replies: on_reply})
        listening = asyncio.create_task(pubsub.run())

        async def trip() -> object:
            id = str(uuid.uuid4())
            pending[id] = asyncio.get_running_loop().create_future()
            try:
                await client.publish(channel, envelope(REQUEST, id, replies))
                return await asyncio.wait_for(pending[id], 5)
            finally:
                del pending[id]

        await measure_rpc(arm, count, trip)
        listening.cancel()
        await pubsub.aclose()
        await client.aclose()
        return
    from faststream.redis import RedisBroker

    broker = RedisBroker(url, logger=None)

    @broker.subscriber(channel)
    async def handle(body: dict) -> dict:
        return {"ok": True, "id": body["id"]}

    await broker.start()

    async def trip() -> object:
        return await (await broker.request(REQUEST, channel, timeout=5)).decode()

    await measure_rpc(arm, count, trip)
    await broker.stop()


asyncio.run(main())
