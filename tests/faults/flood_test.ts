// A flood against a slow handler: 10,000 messages of 2 KB published as fast as the broker takes them to a
// `sluice run` consumer whose handler takes 10 ms, ten at a time, with a prefetch of 100 — about 1,000 a
// second, so a backlog of thousands (up to 20 MB) waits in the broker. The consumer's resident memory (RSS),
// sampled every 500 ms for 15 s, must stay under a bound per runtime, and it must keep consuming to the end.
//
// The bounds: an idle consumer process has an RSS of about 95–105 MB under Bun and 105–125 MB under Deno.
// What a consumer holds is bounded by its prefetch (100 messages, 200 KB here), so its retained memory is
// flat after the first second; the sample runs 15 s rather than 60 s for that reason. Bun's RSS then stays
// within ~40 MB of idle: 192 MB. Deno's grows in a sawtooth: V8 lets garbage pile up in the old generation
// until a major collection, up to ~100 MB above idle at this rate (~200 MB measured over 120 s with 150,000
// messages), then returns to idle + ~40 MB; with a full collection before every sample (FLOOD_GC=1 here runs
// the consumer with --expose-gc and collects first) its heap stays at 28 MB and its RSS flat for 70 s and
// 57,000 messages. The same with the old generation capped instead (the consumer under
// DENO_V8_FLAGS=--max-old-space-size=48, 60,000 messages, 60 s on NATS JetStream): 20,000 handled without
// running out of heap, heap used 29–32 MB throughout, RSS 118–134 MB, where uncapped it rose from 115 to 160 MB
// (0.1 MB/s after publishing ended, heap used up to 64 MB). Nothing Sluice keeps grows: the growth is V8 sizing
// its heap to the room it has, and an operator who wants Deno's RSS lower caps the old generation that way.
// So Deno's bound is 256 MB. A consumer that took the backlog into memory would pass 20 MB of bodies (and
// their decoded copies) on top and break either bound.
//
// All brokers flood at once, each with its own consumer process, to keep the suite short: what a process
// holds does not depend on the others. MQTT floods a private Mosquitto: the shared one runs with Mosquitto's
// default max_queued_messages of 1,000, beyond which it drops QoS 1 messages for a session while still
// acknowledging their publishers.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type Broker, silentLogger } from "@sluice/core";
import { type RealBroker, realBroker } from "../_support/brokers.ts";
import { type PrivateBroker, privateBroker, privateSkip } from "../_support/private/mod.ts";
import { memorySamples, startConsumer } from "./_child.ts";
import { sleep, until } from "./_flow.ts";
import { record, RUNTIME } from "./_results.ts";
import { type FaultTarget, selected, type TargetName, unique } from "./_targets.ts";

// 10,000 (20 MB), a hundred times the prefetch, keeps the seven floods within the CI phase's time on two cores.
const TOTAL = 10_000;
const SECONDS = 15;
const PAD = "x".repeat(2000);
const MB = 1024 * 1024;
/** The RSS bound of a consumer process, per runtime (see above). */
const BOUND_MB: number | undefined = { deno: 256, bun: 192, node: undefined }[RUNTIME.name];
const GC = process.env.FLOOD_GC === "1";

const NAMES: readonly TargetName[] = [
  "redis-stream",
  "redis-list",
  "nats-jetstream",
  "mqtt-qos1",
  "rabbitmq",
  "kafka",
  "sqs",
];
const ON_PRIVATE: readonly TargetName[] = ["mqtt-qos1"];

/** Floods `target` at `url`; resolves with the figures. */
async function flood(target: FaultTarget, url: string) {
  const channel = target.channel(unique("flood"));
  const consumer = await startConsumer(target, {
    url,
    channel,
    group: unique("flood"),
    delay: 10,
    concurrency: 10,
    prefetch: 100,
    memory: 500,
    env: GC ? { FAULTS_GC: "1", DENO_V8_FLAGS: "--expose-gc" } : undefined,
  });
  const publisher: Broker = target.connect(url, { logger: silentLogger });
  try {
    await until(() => memorySamples(consumer).length >= 2, 30_000, "the consumer's first memory samples");
    const idle = memorySamples(consumer).at(-1)!;
    await publisher.connect();
    const started = Date.now();
    for (let from = 0; from < TOTAL; from += 500) {
      const bodies = Array.from(
        { length: Math.min(500, TOTAL - from) },
        (_, i) => ({ id: from + i, pad: PAD }),
      );
      await publisher.publishBatch(bodies, channel, target.publish);
    }
    const published = Date.now() - started;
    // At least 3 s after the last publish, to see the consumer still at work (on a loaded machine the
    // publishing may take longer than the whole sampling).
    await sleep(Math.max(3000, SECONDS * 1000 - published));
    const samples = memorySamples(consumer).filter((s) => s.at >= started);
    const last = samples.at(-1)!;
    const twoSecondsBefore = samples.findLast((s) => s.at <= last.at - 2000) ?? samples[0]!;
    const mb = (bytes: number) => Math.round(bytes / MB);
    return {
      broker: target.label,
      boundMb: BOUND_MB,
      published: TOTAL,
      publishedInMs: published,
      sampledForMs: last.at - started,
      handled: last.handled,
      handledInLast2s: last.handled - twoSecondsBefore.handled,
      idleRssMb: mb(idle.rss),
      peakRssMb: mb(Math.max(...samples.map((s) => s.rss))),
      lastRssMb: mb(last.rss),
      peakHeapUsedMb: mb(Math.max(...samples.map((s) => s.heapUsed))),
      collectedBeforeSampling: GC,
      rssMb: samples.map((s) => mb(s.rss)),
    };
  } finally {
    consumer.dispose();
    await publisher.close();
  }
}

const targets = selected(NAMES);
const shared = new Map<string, RealBroker | undefined>();
for (const target of targets) {
  if (!shared.has(target.broker)) shared.set(target.broker, await realBroker(target.broker));
}
const privateMqtt = targets.some((t) => ON_PRIVATE.includes(t.name)) ? privateSkip("mqtt") : "not run";

describe("flood against a slow handler", {
  skip: targets.length === 0 ? "no target" : BOUND_MB ? false : `no RSS bound set for ${RUNTIME.name}`,
}, () => {
  const results = new Map<TargetName, ReturnType<typeof flood>>();
  let mosquitto: PrivateBroker | undefined;
  before(async () => {
    if (privateMqtt === false) mosquitto = await privateBroker("mqtt");
    for (const target of targets) {
      const url = ON_PRIVATE.includes(target.name) ? mosquitto?.url : shared.get(target.broker)?.url;
      if (!url) continue;
      const result = flood(target, url);
      result.catch(() => undefined);
      results.set(target.name, result);
    }
  });
  after(async () => {
    await Promise.allSettled(results.values());
    await mosquitto?.dispose();
    for (const real of shared.values()) await real?.stop();
  });

  for (const target of targets) {
    const skip = ON_PRIVATE.includes(target.name)
      ? privateMqtt
      : shared.get(target.broker)
      ? false
      : `no real ${target.broker}`;
    it(`keeps the consumer's memory bounded: ${target.label}`, { skip, timeout: 180_000 }, async () => {
      const figures = await results.get(target.name)!;
      record("flood", target.name, figures);
      const summary = JSON.stringify(figures);
      assert.ok(figures.peakRssMb < BOUND_MB!, `RSS under ${BOUND_MB} MB: ${summary}`);
      assert.ok(figures.handled === TOTAL || figures.handledInLast2s > 0, `still consuming: ${summary}`);
    });
  }
});
