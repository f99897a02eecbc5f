// Where the memory of a fast MQTT drain goes: fills a persistent session (QoS 1) with `count` messages, then
// drains it through the raw client or a Sluice subscriber (prefetch 64, MQTT 5 Receive Maximum 64) and prints,
// every tenth of the count, the heap (after a collection where the runtime offers one: `node --expose-gc`,
// `bun`) and the state of the consumer's socket: bytes handed to it, bytes still waiting in the runtime's write
// buffer, and whether a write is under way. The PUBACKs of the drain are the only bytes the consumer writes.
//
//   <runtime> bench/mqtt/ack_backlog.ts <raw|sluice> [count] [url]
//
// Under Node 24 the Sluice arm's socket fell behind after the first few thousand PUBACKs while the broker kept
// delivering, and the acknowledgements piled up in Node's write buffer until the inflow stopped, while the raw
// arm's buffer stayed empty (bench/README.md, "Where the CPU goes"). The subscription now writes each
// acknowledgement as one chunk (plugins/mqtt/_subscription.ts), and its buffer stays empty too.
import process from "node:process";
import { Buffer } from "node:buffer";
import mqttjs from "mqtt";
import { mqtt } from "@sluice/mqtt";

const [arm = "sluice", countArg = "600000", urlArg] = process.argv.slice(2);
const count = Number(countArg);
const url = urlArg ?? process.env.SLUICE_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const id = `backlog${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topic = `${id}/orders`;
const clientId = `${id}-consumer`;
const body = Buffer.from(JSON.stringify({ id: 123456, item: "a cup of green tea", quantity: 2, price: 3.5 }));
const session = { clientId, clean: false, properties: { sessionExpiryInterval: 300, receiveMaximum: 64 } };
const v5 = { protocolVersion: 5 as const };

const first = await mqttjs.connectAsync(url, { ...v5, ...session });
await first.subscribeAsync(topic, { qos: 1 });
await first.endAsync();
const filler = await mqttjs.connectAsync(url, v5);
const inflight = new Set<Promise<unknown>>();
for (let i = 0; i < count; i++) {
  const sent = filler.publishAsync(topic, body, { qos: 1 }).finally(() => inflight.delete(sent));
  inflight.add(sent);
  if (inflight.size >= 256) await Promise.race(inflight);
}
await Promise.all(inflight);
await filler.endAsync();

interface SocketState {
  readonly bytesWritten: number;
  readonly writableLength: number;
  readonly bytesRead: number;
  readonly _writableState?: { writing?: boolean };
}
let consumer: SocketState | undefined;
const collect = (globalThis as { gc?: () => void }).gc ??
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc.bind(undefined, true);
let got = 0;
const report = (): void => {
  collect?.();
  const heap = Math.round(process.memoryUsage().heapUsed / 1048576);
  const socket = consumer
    ? `handed ${consumer.bytesWritten} B, waiting ${consumer.writableLength} B, writing ${
      consumer._writableState?.writing ?? "?"
    }`
    : "no socket yet";
  console.log(`${got} received: heap ${heap} MiB${collect ? "" : " (no collection)"}; socket ${socket}`);
};

const step = Math.max(1, Math.floor(count / 10));
await new Promise<void>((resolve) => {
  const seen = (): void => {
    if (++got % step === 0) setTimeout(report, 0);
    if (got === count) resolve();
  };
  if (arm === "raw") {
    const client = mqttjs.connect(url, { ...v5, ...session });
    consumer = client.stream as unknown as SocketState;
    client.on("message", (_topic, payload) => {
      JSON.parse(payload.toString());
      seen();
    });
  } else {
    // The subscription's own connection: MQTT.js clients are recorded as they connect, and the one with the
    // subscriber's client id is it (the plugin loads the same `mqtt` module).
    const proto = mqttjs.MqttClient.prototype as unknown as { connect(this: mqttjs.MqttClient): unknown };
    const connect = proto.connect;
    proto.connect = function (this: mqttjs.MqttClient) {
      const result = connect.call(this);
      if (this.options.clientId === clientId) consumer = this.stream as unknown as SocketState;
      return result;
    };
    const broker = mqtt({ url, logLevel: "error" });
    broker.subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 300, prefetch: 64 }).handle(
      seen,
    );
    void broker.start();
  }
});
await new Promise((resolve) => setTimeout(resolve, 100));
report();
process.exit(0);
