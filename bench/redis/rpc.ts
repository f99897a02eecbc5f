// Request/reply latency on Redis; prints one JSON line with p50 and p99.
//   <runtime> bench/redis/rpc.ts <arm> [count]
//   <runtime> bench/redis/rpc.ts raw,sluice [count]
// one arm in a fresh process, or the arms named side by side in one (paired: bench/_rpc.ts).
// `count` sequential round trips of a ~100-byte JSON request answered with a small JSON reply, responder and
// requester in this process (after untimed ones, 20,000 or the count and up to 5 s; bench/_rpc.ts), both over
// Pub/Sub in FastStream's binary envelope, as the plugin's `request()` is: the request carries `reply_to`, a
// reply channel the requester subscribed to once, and a correlation id the reply echoes.
//   raw     ioredis (the plugin's settings, RESP2): one connection subscribed to the request and the reply
//           channel, one that publishes; the responder decodes the envelope and the JSON body and publishes
//           the reply envelope to `reply_to`
//   sluice  broker.request() to a Pub/Sub subscriber whose handler returns the reply
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes, encodeMessage, redis } from "@sluice/redis";
import { REQUEST, rpcArguments, type RpcArm, runRpc } from "../_rpc.ts";
import { settings, url } from "./_common.ts";

const { arm, count } = rpcArguments();

function envelope(body: unknown, correlationId: string, replyTo?: string): Buffer {
  const bytes = encodeMessage({
    body: new TextEncoder().encode(JSON.stringify(body)),
    headers: {},
    contentType: "application/json",
    correlationId,
    messageId: correlationId,
    replyTo,
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function raw(channel: string): Promise<RpcArm> {
  const replies = `bench-reply-${crypto.randomUUID()}`;
  const subscriber = new Redis(url, { ...settings, enableAutoPipelining: false });
  const publisher = new Redis(url, settings);
  const decoder = new TextDecoder();
  const pending = new Map<string, (reply: unknown) => void>();
  subscriber.on("messageBuffer", (from: Buffer, message: Buffer) => {
    const { body, headers } = decodeBytes(message);
    const decoded = JSON.parse(decoder.decode(body)) as { id: number };
    const id = headers["correlation_id"]!;
    if (from.toString() === replies) pending.get(id)?.(decoded);
    else void publisher.publish(headers["reply_to"]!, envelope({ ok: true, id: decoded.id }, id));
  });
  await subscriber.subscribe(channel, replies);
  await publisher.ping();
  return {
    trip: () => {
      const id = crypto.randomUUID();
      const reply = new Promise((resolve) => pending.set(id, resolve)).finally(() => pending.delete(id));
      void publisher.publish(channel, envelope(REQUEST, id, replies));
      return reply;
    },
    close: () => {
      subscriber.disconnect();
      publisher.disconnect();
      return Promise.resolve();
    },
  };
}

async function sluice(channel: string): Promise<RpcArm> {
  const broker = redis({ url, logLevel: "error" });
  broker.subscriber(channel).handle((body) => ({ ok: true, id: (body as { id: number }).id }));
  await broker.start();
  return {
    trip: async () => (await broker.request(REQUEST, channel, { timeout: 5000 })).body,
    close: () => broker.close(),
  };
}

await runRpc(arm, count, (name, tag) => (name === "raw" ? raw : sluice)(`bench-rpc-${tag}`));
