"""Redis Pub/Sub, live publish-and-consume, consumed by Python: the peer of bench/redis/pubsub.ts.

    $SLUICE_PYTHON bench/python/redis_pubsub.py <raw-python|faststream> [count]

The publisher is the same child as in the TypeScript arms (`deno run -A bench/redis/pubsub.ts publish`):
~100 bytes of JSON in FastStream's binary envelope with content-type, correlation_id and message_id, kept at
most 20,000 messages ahead through its stdin. `raw-python` is redis-py's asyncio Pub/Sub with a handler that
reads the envelope (bench/python/_envelope.py) and runs json.loads on a JSON body; `faststream` is a
FastStream 0.7.8 RedisBroker channel subscriber whose handler takes the decoded dict, logger off. Prints one
JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os

from _envelope import read_envelope
from _measure import arm_and_count, consume_live


async def main() -> None:
    arm, count = arm_and_count(100_000)
    url = os.environ.get("SLUICE_REDIS_URL", "redis://127.0.0.1:6379")
    channel = f"bench-pubsub-py{os.getpid()}"

    async def start(seen):
        if arm == "raw-python":
            from redis.asyncio import Redis

            client = Redis.from_url(url)
            pubsub = client.pubsub()

            async def on_message(message) -> None:
                headers, body = read_envelope(message["data"])
                if headers.get("content-type") == "application/json":
                    json.loads(body)
                seen()

            await pubsub.subscribe(**{channel: on_message})
            listening = asyncio.create_task(pubsub.run())

            async def stop() -> None:
                listening.cancel()
                await pubsub.aclose()
                await client.aclose()

            return stop
        from faststream.redis import RedisBroker

        broker = RedisBroker(url, logger=None)

        @broker.subscriber(channel)
        async def handle(body: dict) -> None:
            seen()

        await broker.start()
        return broker.stop

    timed = await consume_live("bench/redis/pubsub.ts", count, channel, start)
    timed.report(arm, "live", count)


asyncio.run(main())
