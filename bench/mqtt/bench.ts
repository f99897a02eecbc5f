// One benchmark run in a fresh process; prints one JSON line.
//   <runtime> bench/mqtt/bench.ts <raw|raw-wire|sluice> <drain|publish> [count] [window]
// drain: a persistent session (QoS 1) is pre-filled, untimed, with `count` JSON messages of ~100 bytes while
//   away; then it reconnects and drains them, decoding each body; the PUBACK goes after the decode in both
//   arms; MQTT 5 Receive Maximum = `window` in both. Timed from connect to the last message handled.
// publish: `count` QoS 1 publishes with at most `window` awaiting their PUBACK; `raw-wire` publishes raw with
//   the properties Sluice's wire convention adds (correlation data, a message id user property).
// To profile the timed drain alone: `fill` leaves a filled session named by SLUICE_BENCH_SESSION (any arm), and
// a drain with that variable set drains it without filling.
import { Buffer } from "node:buffer";
import process from "node:process";
import mqttjs from "mqtt";
import { silentLogger } from "@sluice/core";
import { mqtt } from "@sluice/mqtt";
import { mqttLog } from "../../plugins/mqtt/_client.ts";
import { begin, cpuPerMessage, end, profiled, rssMiB } from "../_measure.ts";

const [arm = "raw", workload = "drain", countArg = "20000", windowArg = "64"] = process.argv.slice(2);
const count = Number(countArg);
const window = Number(windowArg);
const url = process.env.SLUICE_MQTT_BENCH_URL ?? "mqtt://127.0.0.1:1885";
const named = process.env.SLUICE_BENCH_SESSION;
const id = named ?? `bench${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topic = `${id}/orders`;
const payload = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};
const body = Buffer.from(JSON.stringify(payload));
// The raw arms run MQTT.js with the plugin's log, which does nothing unless DEBUG is set
// (plugins/mqtt/_client.ts): the same client settings, so the gap stays the framework's.
const v5 = { protocolVersion: 5 as const, log: mqttLog() };

async function windowed(n: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = send(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

let elapsed = 0;
if (workload === "drain" || workload === "fill") {
  const clientId = `${id}-consumer`;
  const session = {
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 300, receiveMaximum: window },
  };
  if (workload === "fill" || !named) {
    const first = await mqttjs.connectAsync(url, { ...v5, ...session });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const filler = await mqttjs.connectAsync(url, v5);
    await windowed(
      count,
      () => filler.publishAsync(topic, body, { qos: 1, properties: { contentType: "application/json" } }),
    );
    await filler.endAsync();
  }
  if (workload === "fill") {
    console.log(JSON.stringify({ filled: count, session: id }));
    process.exit(0);
  }
  let got = 0;
  const start = begin();
  if (arm === "raw") {
    await new Promise<void>((resolve) => {
      const client = mqttjs.connect(url, { ...v5, ...session });
      client.on("message", (_t, payload) => {
        JSON.parse(payload.toString());
        if (++got === count) resolve();
      });
    }).then(() => (elapsed = end() - start));
  } else {
    const broker = mqtt({ url, logger: silentLogger });
    await new Promise<void>((resolve) => {
      broker.subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 300, prefetch: window })
        .handle(() => {
          if (++got === count) resolve();
        });
      void broker.start();
    });
    elapsed = end() - start;
    await broker.close();
  }
} else {
  if (arm === "raw" || arm === "raw-wire") {
    const client = await mqttjs.connectAsync(url, v5);
    // raw-wire sends what Sluice's wire convention adds to every message, as Sluice makes it: the correlation
    // id as Correlation Data and the message id as a user property (one id per process plus a counter).
    const prefix = `${crypto.randomUUID()}-`;
    const properties = arm === "raw" ? () => ({ contentType: "application/json" }) : (i: number) => ({
      contentType: "application/json",
      correlationData: Buffer.from(`${prefix}${i}`, "utf8"),
      userProperties: { message_id: `${prefix}${i}` },
    });
    const start = begin();
    await windowed(
      count,
      // Encoded per message, as Sluice does.
      (i) =>
        client.publishAsync(topic, Buffer.from(JSON.stringify(payload)), {
          qos: 1,
          properties: properties(i),
        }),
    );
    elapsed = end() - start;
    await client.endAsync();
  } else {
    const broker = mqtt({ url, logger: silentLogger });
    await broker.connect();
    const start = begin();
    await windowed(count, () => broker.publish(payload, topic));
    elapsed = end() - start;
    await broker.close();
  }
}
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(
  JSON.stringify({
    arm,
    workload,
    runtime,
    count,
    window,
    ms: Math.round(elapsed),
    rate: Math.round(count / (elapsed / 1000)),
    cpu_us: cpuPerMessage(count),
    rss_mib: rssMiB(),
  }),
);
await profiled();
process.exit(0);
