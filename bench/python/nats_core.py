"""Core NATS, live publish-and-consume, consumed by Python: the peer of bench/nats/core.ts.

    $SLUICE_PYTHON bench/python/nats_core.py <raw-python|faststream> [count]

The publisher is the same child as in the TypeScript arms (`deno run -A bench/nats/core.ts publish`), kept at
most 20,000 messages ahead through its stdin. `raw-python` is nats-py with a callback that reads content-type
and runs json.loads; `faststream` is a FastStream 0.7.8 NatsBroker subscriber whose handler takes the decoded
dict, with FastStream's logger off (no per-message log lines). Prints one JSON line (bench/python/_measure.py).
"""

import asyncio
import json
import os

from _measure import arm_and_count, consume_live


async def main() -> None:
    arm, count = arm_and_count(100_000)
    url = os.environ.get("SLUICE_NATS_URL", "nats://127.0.0.1:4222")
    subject = f"bench.core.py{os.getpid()}"

    async def start(seen):
        if arm == "raw-python":
            import nats

            nc = await nats.connect(url)

            async def on_message(msg) -> None:
                if msg.headers and msg.headers.get("content-type") == "application/json":
                    json.loads(msg.data)
                seen()

            await nc.subscribe(subject, cb=on_message)
            await nc.flush()
            return nc.close
        from faststream.nats import NatsBroker

        broker = NatsBroker(url, logger=None)

        @broker.subscriber(subject)
        async def handle(body: dict) -> None:
            seen()

        await broker.start()
        return broker.stop

    timed = await consume_live("bench/nats/core.ts", count, subject, start)
    timed.report(arm, "live", count)


asyncio.run(main())
