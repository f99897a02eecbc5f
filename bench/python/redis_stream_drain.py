"""Redis Streams, drain a filled stream through a consumer group, consumed by Python: the peer of
`bench/redis/stream.ts drain`.

    $SLUICE_PYTHON bench/python/redis_stream_drain.py <raw-python|faststream> drain [count]

The fill is the TypeScript script's, done the same way from redis-py and not timed: `count` entries of ~100
bytes of JSON in FastStream's binary envelope (content-type, correlation_id, message_id) under the `__data__`
field, then the group `bench` created at the stream's start. The drain reads up to 100 entries at a time and
acks each after its handler: `raw-python` is redis-py's asyncio XREADGROUP loop (the envelope read by
bench/python/_envelope.py, json.loads on a JSON body, one XACK for the entries of each read), `faststream` a FastStream 0.7.8
RedisBroker stream subscriber of the group (`max_records=100`; ack after the handler) whose handler takes the
decoded dict, logger off. Timed like the TypeScript arms: from the start of consuming (connection made
before) to the last message. Prints one JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os

from redis.asyncio import Redis

from _envelope import read_envelope, write_envelope
from _measure import Counter, Timed, arm_and_count, drain_broker, to_json

PAYLOAD = {"id": 0, "item": "tea", "note": "a payload of about one hundred bytes for the benchmark ok"}
FIELD = b"__data__"
GROUP = "bench"
WINDOW = 100


async def fill(client: Redis, key: str, count: int) -> None:
    for start in range(0, count, 1000):
        batch = client.pipeline(transaction=False)
        for i in range(start, min(count, start + 1000)):
            headers = {"content-type": "application/json", "correlation_id": f"c{i}", "message_id": f"m{i}"}
            batch.xadd(key, {FIELD: write_envelope(headers, to_json({**PAYLOAD, "id": i}))})
        await batch.execute()
    await client.xgroup_create(key, GROUP, id="0")


async def main() -> None:
    arm, count = arm_and_count(100_000)
    url = os.environ.get("SLUICE_REDIS_URL", "redis://127.0.0.1:6379")
    key = f"bench-stream-py{os.getpid()}"
    client = Redis.from_url(url)
    timed = Timed()
    counter = Counter(count, timed, begin_at_first=False)
    try:
        await fill(client, key, count)
        if arm == "raw-python":
            timed.begin()
            while counter.seen < count:
                reply = await client.xreadgroup(GROUP, "raw", {key: ">"}, count=WINDOW, block=2000)
                for _stream, entries in reply or []:
                    for _id, fields in entries:
                        headers, body = read_envelope(fields[FIELD])
                        if headers.get("content-type") == "application/json":
                            json.loads(body)
                    # redis-py does not pipeline on its own: one XACK for the read's entries, once handled.
                    await client.xack(key, GROUP, *(entry_id for entry_id, _ in entries))
                    for _ in entries:
                        counter()
        else:
            from faststream.redis import RedisBroker, StreamSub

            broker = RedisBroker(url, logger=None)

            @broker.subscriber(stream=StreamSub(key, group=GROUP, consumer="faststream", max_records=WINDOW))
            async def handle(body: dict) -> None:
                counter()

            await drain_broker(broker, counter, timed)
    finally:
        await client.delete(key)
        await client.aclose()
    timed.report(arm, "drain", count)


asyncio.run(main())
