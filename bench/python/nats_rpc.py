"""Request/reply latency on core NATS from Python: the peer of bench/nats/rpc.ts.

    $SLUICE_PYTHON bench/python/nats_rpc.py <raw-python|faststream> [count]

`count` sequential round trips of the same ~100-byte JSON request answered with `{"ok": true, "id": …}`,
responder and requester in this process, after a warm-up of 200 trips or more (up to 5 s). `raw-python` is
nats-py: `nc.request()` to a callback subscription that decodes the body and publishes the reply to the
request's inbox; `faststream` is FastStream 0.7.8 `broker.request()` (its reply decoded) to a subscriber whose
handler takes the decoded dict and returns the reply, logger off. Prints one JSON line with p50 and p99
(bench/python/_measure.py).
"""

import asyncio
import json
import os

from _measure import REQUEST, arm_and_count, measure_rpc, to_json

JSON_HEADERS = {"content-type": "application/json"}


async def main() -> None:
    arm, count = arm_and_count(2000)
    url = os.environ.get("SLUICE_NATS_URL", "nats://127.0.0.1:4222")
    subject = f"bench.rpc.py{os.getpid()}"
    if arm == "raw-python":
        import nats

        nc = await nats.connect(url)

        async def respond(msg) -> None:
            body = json.loads(msg.data)
            await nc.publish(msg.reply, to_json({"ok": True, "id": body["id"]}), headers=JSON_HEADERS)

        await nc.subscribe(subject, cb=respond)
        await nc.flush()
        request = to_json(REQUEST)

        async def trip() -> object:
            reply = await nc.request(subject, request, timeout=5, headers=JSON_HEADERS)
            return json.loads(reply.data)

        await measure_rpc(arm, count, trip)
        await nc.close()
        return
    from faststream.nats import NatsBroker

    broker = NatsBroker(url, logger=None)

    @broker.subscriber(subject)
    async def handle(body: dict) -> dict:
        return {"ok": True, "id": body["id"]}

    await broker.start()

    async def trip() -> object:
        return await (await broker.request(REQUEST, subject, timeout=5)).decode()

    await measure_rpc(arm, count, trip)
    await broker.stop()


asyncio.run(main())
