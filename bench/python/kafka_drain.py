"""Kafka, drain a topic from the earliest offset, consumed by Python: the peer of `bench/kafka/bench.ts drain`.

    $SLUICE_PYTHON bench/python/kafka_drain.py <raw-python|faststream> drain [count]

The fill is the TypeScript script's, done the same way from aiokafka and not timed: a new topic of 3
partitions, `count` JSON messages of ~100 bytes with a content-type header, sent in batches of 1,000 with
acks=all. The drain, group named after the topic, from the earliest offset, fetches waiting at most 100 ms:
`raw-python` is aiokafka's consumer (`async for`, json.loads when the content type says JSON, auto-commit),
`faststream` a FastStream 0.7.8 KafkaBroker subscriber whose handler takes the decoded dict, logger off.
Timed from the first record handled to the last (group join excluded), as the TypeScript arms are. Prints one
JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from _measure import Counter, Timed, arm_and_count, to_json

PAYLOAD = {
    "id": 0,
    "name": "benchmark payload",
    "tags": ["a", "b", "c"],
    "at": "2026-01-01T00:00:00.000Z",
    "n": 0.5,
}
HEADERS = [("content-type", b"application/json")]


async def fill(servers: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    await producer.start()
    try:
        for i in range(0, count, 1000):
            sent = [
                await producer.send(
                    topic, to_json({**PAYLOAD, "id": j}), headers=HEADERS
                )
                for j in range(i, min(count, i + 1000))
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def main() -> None:
    arm, count = arm_and_count(100_000)
    url = os.environ.get("SLUICE_KAFKA_URL", "kafka://127.0.0.1:9092")
    servers = url.removeprefix("kafka://")
    topic = f"bench-drain-py{os.getpid()}-{os.urandom(3).hex()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    timed = Timed()
    counter = Counter(count, timed)
    try:
        await fill(servers, topic, count)
        if arm == "raw-python":
            consumer = AIOKafkaConsumer(
                topic,
                bootstrap_servers=servers,
                group_id=topic,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=100,
            )
            await consumer.start()

            async def drain() -> None:
                async for record in consumer:
                    if dict(record.headers).get("content-type") == b"application/json":
                        json.loads(record.value)
                    counter()
                    if counter.seen == count:
                        return

            await drain()
            await consumer.stop()
        else:
            from faststream.kafka import KafkaBroker

            broker = KafkaBroker(servers, logger=None)

            @broker.subscriber(topic, group_id=topic, auto_offset_reset="earliest", fetch_max_wait_ms=100)
            async def handle(body: dict) -> None:
                counter()

            await broker.start()
            await counter.finished.wait()
            await broker.stop()
    finally:
        await admin.delete_topics([topic])
        await admin.close()
    timed.report(arm, "drain", count)


asyncio.run(main())
