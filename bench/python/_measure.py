"""What every Python arm shares: the timed section, the live publisher child, the RPC loop, the JSON line.

The peer of bench/_measure.ts, bench/_live.ts and bench/_rpc.ts. CPU time is this process's user + system
time (`getrusage`) over the timed section; RSS is sampled each second of it (and at its start). An arm
prints one JSON line: arm, workload, count, seconds, rate, cpu_us, rss_mib[, p50_ms, p99_ms].
"""

import asyncio
import json
import os
import resource
import sys
import time
from typing import Awaitable, Callable, Optional

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DENO = os.path.join(ROOT, "node_modules", ".bin", "deno")
# As bench/_live.ts: the consumer reports its progress to the publisher every REPORT_EVERY messages.
REPORT_EVERY = 5000
# As bench/_rpc.ts: at least WARM_UP untimed round trips before the timed ones, then more, up to the run's
# count, until WARM_UP_SECONDS have passed (the TypeScript arms wait for their runtimes' compilers; CPython has
# none, but every arm warms up alike); and the request of every RPC bench.
WARM_UP = 200
WARM_UP_SECONDS = 5.0
REQUEST = {
    "id": 123456,
    "item": "a cup of green tea",
    "quantity": 2,
    "price": 3.5,
    "note": "no sugar, thanks!!",
}


def to_json(value: object) -> bytes:
    """JSON as the TypeScript arms write it (JSON.stringify: no spaces)."""
    return json.dumps(value, separators=(",", ":")).encode()


def _numbers() -> list[int]:
    return [int(a) for a in sys.argv[2:] if a.isdigit()]


def arm_and_count(default_count: int) -> tuple[str, int]:
    """The arm (first argument) and the count (first number after it), as the runner passes them."""
    arm = sys.argv[1] if len(sys.argv) > 1 else "raw-python"
    numbers = _numbers()
    return arm, numbers[0] if numbers else default_count


def window_argument(default: int = 256) -> int:
    """The number after the count: a drain's prefetch and fill window (`<arm> drain <count> <window>`)."""
    numbers = _numbers()
    return numbers[1] if len(numbers) > 1 else default


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mib() -> int:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576)


async def windowed(count: int, window: int, send: Callable[[], Awaitable[object]]) -> None:
    """Awaits `send()` `count` times with at most `window` unfinished (a fill's publishes awaiting their ack)."""
    inflight: set[asyncio.Task] = set()
    for _ in range(count):
        task = asyncio.create_task(send())
        inflight.add(task)
        task.add_done_callback(inflight.discard)
        if len(inflight) >= window:
            await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*inflight)


class Timed:
    """The timed section: wall and CPU time between begin() and end(), RSS each second in between."""

    def __init__(self) -> None:
        self.start = self.stop = self.cpu_start = self.cpu_stop = 0.0
        self.rss: list[int] = []
        self._sampler: Optional[asyncio.Task] = None

    def begin(self) -> None:
        self.rss = []
        self._sampler = asyncio.get_running_loop().create_task(self._sample())
        self.cpu_start = cpu_seconds()
        self.start = time.perf_counter()

    def end(self) -> None:
        self.stop = time.perf_counter()
        self.cpu_stop = cpu_seconds()
        if self._sampler:
            self._sampler.cancel()

    async def _sample(self) -> None:
        self.rss.append(rss_mib())
        while True:
            await asyncio.sleep(1)
            self.rss.append(rss_mib())

    def report(self, arm: str, workload: str, count: int, **extra: float) -> None:
        """Prints the run's one JSON line."""
        seconds = self.stop - self.start
        print(json.dumps({
            "arm": arm,
            "workload": workload,
            "count": count,
            "seconds": seconds,
            "rate": round(count / seconds),
            "cpu_us": round((self.cpu_stop - self.cpu_start) * 1e6 / count, 2),
            "rss_mib": self.rss or [rss_mib()],
            **extra,
        }), flush=True)


class Counter:
    """Counts handled messages; ends the timed section at the last and starts it at the first, unless the
    arm started it itself (a drain timed from the subscription's start, as its TypeScript arms are)."""

    def __init__(
        self,
        count: int,
        timed: Timed,
        on_progress: Callable[[int], None] = lambda n: None,
        begin_at_first: bool = True,
    ):
        self.count = count
        self.begin_at_first = begin_at_first
        self.seen = 0
        self.timed = timed
        self.finished = asyncio.Event()
        self._on_progress = on_progress

    def __call__(self) -> None:
        self.seen += 1
        n = self.seen
        if n == 1 and self.begin_at_first:
            self.timed.begin()
        if n % REPORT_EVERY == 0:
            self._on_progress(n)
        if n == self.count:
            self.timed.end()
            self.finished.set()


async def drain_broker(broker, counter: "Counter", timed: Timed) -> None:
    """A FastStream drain: connected before the clock starts (like the raw arms), timed from the subscribers'
    start to the last message."""
    await broker.connect()
    timed.begin()
    await broker.start()
    await counter.finished.wait()
    await broker.stop()


async def consume_live(
    script: str,
    count: int,
    channel: str,
    start: Callable[[Callable[[], None]], Awaitable[Callable[[], Awaitable[None]]]],
) -> Timed:
    """
    Live publish-and-consume against the TypeScript arms' publisher child (`deno run -A <script> publish
    <count> <channel>`, bench/_live.ts), kept at most 20,000 messages ahead through its stdin. `start(seen)`
    subscribes (seen() once per handled message) and returns the function that stops the consumer.
    """
    timed = Timed()
    publisher = None

    def progress(n: int) -> None:
        publisher.stdin.write(f"{n}\n".encode())

    counter = Counter(count, timed, progress)
    stop = await start(counter)
    publisher = await asyncio.create_subprocess_exec(
        DENO, "run", "-A", os.path.join(ROOT, script), "publish", str(count), channel,
        stdin=asyncio.subprocess.PIPE,
    )
    publisher.stdin.write(b"0\n")  # the subscription is live: start publishing
    await counter.finished.wait()
    await stop()
    publisher.stdin.close()
    await publisher.wait()
    return timed


async def measure_rpc(arm: str, count: int, trip: Callable[[], Awaitable[object]]) -> None:
    """
    `count` sequential round trips after the untimed ones (WARM_UP, then up to `count` until WARM_UP_SECONDS
    have passed; their replies, decoded, must be the expected one); prints the line with p50 and p99 (ms).
    """
    expected = {"ok": True, "id": REQUEST["id"]}
    until = time.perf_counter() + WARM_UP_SECONDS
    warmed = 0
    while warmed < WARM_UP or (warmed < count and time.perf_counter() < until):
        reply = await trip()
        if reply != expected:
            raise AssertionError(f"The reply was {reply!r}, not {expected!r}")
        warmed += 1
    times = []
    timed = Timed()
    timed.begin()
    for _ in range(count):
        t = time.perf_counter()
        await trip()
        times.append((time.perf_counter() - t) * 1000)
    timed.end()
    times.sort()

    def at(q: float) -> float:
        return round(times[min(len(times) - 1, int(q * len(times)))], 3)

    timed.report(arm, "rpc", count, p50_ms=at(0.5), p99_ms=at(0.99))
