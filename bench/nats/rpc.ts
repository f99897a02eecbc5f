// Request/reply latency on core NATS; prints one JSON line with p50 and p99.
//   <runtime> bench/nats/rpc.ts <arm> [count]
//   <runtime> bench/nats/rpc.ts raw,sluice [count]
// one arm in a fresh process, or the arms named side by side in one (paired: bench/_rpc.ts).
// `count` sequential round trips of a ~100-byte JSON request answered with a small JSON reply, responder and
// requester in this process (after untimed ones, 20,000 or the count and up to 5 s; bench/_rpc.ts):
//   raw     nats.js: nc.request() to a callback subscription that decodes the body and responds
//   sluice  broker.request() to a subscriber whose handler returns the reply
import process from "node:process";
import { connect, headers } from "@nats-io/transport-node";
import { nats } from "@sluice/nats";
import { REQUEST, rpcArguments, type RpcArm, runRpc } from "../_rpc.ts";

const { arm, count } = rpcArguments();
const url = process.env.SLUICE_NATS_URL ?? "nats://127.0.0.1:4222";

async function raw(subject: string): Promise<RpcArm> {
  const nc = await connect({ servers: url });
  const encoder = new TextEncoder();
  nc.subscribe(subject, {
    callback: (_error, m) => {
      const body = JSON.parse(m.string()) as { id: number };
      const h = headers();
      h.set("content-type", "application/json");
      m.respond(encoder.encode(JSON.stringify({ ok: true, id: body.id })), { headers: h });
    },
  });
  await nc.flush();
  return {
    trip: async () => {
      const h = headers();
      h.set("content-type", "application/json");
      const reply = await nc.request(subject, encoder.encode(JSON.stringify(REQUEST)), {
        timeout: 5000,
        headers: h,
      });
      return JSON.parse(reply.string());
    },
    close: () => nc.close(),
  };
}

async function sluice(subject: string): Promise<RpcArm> {
  const broker = nats({ servers: url, logLevel: "error" });
  broker.subscriber(subject).handle((body) => ({ ok: true, id: (body as { id: number }).id }));
  await broker.start();
  return {
    trip: async () => (await broker.request(REQUEST, subject, { timeout: 5000 })).body,
    close: () => broker.close(),
  };
}

await runRpc(arm, count, (name, tag) => (name === "raw" ? raw : sluice)(`bench.rpc.${tag}`));
