"""Core NATS, live publish-and-consume, consumed by Python: the peer of bench/nats/core.ts.

    $SLUICE_PYTHON bench/python/nats_core.py <raw-python|faststream> [count]

The publisher is the same child as in the TypeScript arms (`deno run -A bench/nats/core.ts publish`), kept at
most 20,000 messages ahead through its stdin. `raw-python` is nats-py with a callback that reads content-type
and runs json.loads; `faststream` is a FastStream 0.7.8 NatsBroker subscriber whose handler takes the decoded
dict, with FastStream's logger off (no per-message log lines). CPU time is this process's user + system time
over the timed section. Prints one JSON line.
"""

import asyncio
import json
import os
import resource
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
REPORT_EVERY = 5000


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mib() -> int:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576)


async def main() -> None:
    arm = sys.argv[1] if len(sys.argv) > 1 else "raw-python"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    url = os.environ.get("SLUICE_NATS_URL", "nats://127.0.0.1:4222")
    subject = f"bench.core.py{os.getpid()}"
    state = {"seen": 0, "start": 0.0, "cpu": 0.0, "stop": 0.0, "cpu_end": 0.0}
    finished = asyncio.Event()
    publisher = None

    def seen() -> None:
        state["seen"] += 1
        n = state["seen"]
        if n == 1:
            state["start"] = time.perf_counter()
            state["cpu"] = cpu_seconds()
        if n % REPORT_EVERY == 0:
            publisher.stdin.write(f"{n}\n".encode())
        if n == count:
            state["stop"] = time.perf_counter()
            state["cpu_end"] = cpu_seconds()
            finished.set()

    if arm == "raw-python":
        import nats

        nc = await nats.connect(url)

        async def on_message(msg) -> None:
            if msg.headers and msg.headers.get("content-type") == "application/json":
                json.loads(msg.data)
            seen()

        await nc.subscribe(subject, cb=on_message)
        await nc.flush()
        stop = nc.close
    else:
        from faststream.nats import NatsBroker

        broker = NatsBroker(url, logger=None)

        @broker.subscriber(subject)
        async def handle(body: dict) -> None:
            seen()

        await broker.start()
        stop = broker.stop

    deno = os.path.join(ROOT, "node_modules", ".bin", "deno")
    publisher = await asyncio.create_subprocess_exec(
        deno, "run", "-A", os.path.join(ROOT, "bench", "nats", "core.ts"), "publish", str(count), subject,
        stdin=asyncio.subprocess.PIPE,
    )
    publisher.stdin.write(b"0\n")
    samples = []

    async def sample() -> None:
        while True:
            samples.append(rss_mib())
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample())
    await finished.wait()
    sampler.cancel()
    await stop()
    publisher.stdin.close()
    await publisher.wait()
    seconds = state["stop"] - state["start"]
    cpu_us = (state["cpu_end"] - state["cpu"]) * 1e6 / count
    print(json.dumps({
        "arm": arm,
        "workload": "live",
        "count": count,
        "seconds": seconds,
        "rate": round(count / seconds),
        "cpu_us": round(cpu_us, 2),
        "rss_mib": samples,
    }))


asyncio.run(main())
