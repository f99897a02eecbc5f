// The AMQP frames an RPC arm sends and receives a round trip: what the arms ask of RabbitMQ, with the
// runtime's and the libraries' costs out of the picture.
//   <runtime> bench/rabbitmq/frames.ts <arm> [count]
// runs one arm of bench/rabbitmq/rpc.ts (raw, raw-wire, driver or sluice) in this process with its
// connections going through a proxy on loopback that counts, in each direction, the frames by kind
// (`basic.publish`, `content header`, …), the bytes and the chunks the sockets read; prints one JSON line
// with each figure divided by the round trips, warm-up included (bench/_rpc.ts). The connection's set-up
// (declares, consumes) comes to less than 0.05 a round trip and is left out.
import process from "node:process";
import { Buffer } from "node:buffer";
import net from "node:net";
import { warmedUp } from "../_rpc.ts";

const [arm = "raw", count = "2000"] = process.argv.slice(2);
if (arm.includes(",")) {
  console.error("frames.ts counts one arm at a time: its proxy sees every connection of the process");
  process.exit(2);
}
const target = new URL(process.env.SLUICE_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672");

/** AMQP 0-9-1 methods by class and method id, the ones an RPC arm uses. */
const METHODS: Record<string, string> = {
  "20.10": "channel.open",
  "20.11": "channel.open-ok",
  "20.40": "channel.close",
  "20.41": "channel.close-ok",
  "50.10": "queue.declare",
  "50.11": "queue.declare-ok",
  "50.20": "queue.bind",
  "50.21": "queue.bind-ok",
  "60.10": "basic.qos",
  "60.11": "basic.qos-ok",
  "60.20": "basic.consume",
  "60.21": "basic.consume-ok",
  "60.40": "basic.publish",
  "60.50": "basic.return",
  "60.60": "basic.deliver",
  "60.80": "basic.ack",
  "60.90": "basic.reject",
  "60.120": "basic.nack",
  "85.10": "confirm.select",
  "85.11": "confirm.select-ok",
};

interface Direction {
  chunks: number;
  bytes: number;
  frames: Record<string, number>;
}

/** Counts the frames of one direction of one connection as its bytes pass. */
function counter(into: Direction, protocolHeader: boolean): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let headerLeft = protocolHeader ? 8 : 0; // "AMQP" 0 0 9 1, before the client's first frame
  return (chunk) => {
    into.chunks++;
    into.bytes += chunk.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (headerLeft > 0) {
      const skipped = Math.min(headerLeft, pending.length);
      headerLeft -= skipped;
      pending = pending.subarray(skipped);
    }
    // A frame: type (1 byte), channel (2), payload size (4), payload, end marker 0xCE.
    while (pending.length >= 7) {
      const size = pending.readUInt32BE(3);
      if (pending.length < size + 8) break;
      const kind = frameKind(pending[0]!, pending.subarray(7, 7 + size));
      into.frames[kind] = (into.frames[kind] ?? 0) + 1;
      pending = pending.subarray(size + 8);
    }
  };
}

function frameKind(type: number, payload: Buffer): string {
  if (type === 2) return "content header";
  if (type === 3) return "content body";
  if (type === 8) return "heartbeat";
  if (type !== 1 || payload.length < 4) return `frame type ${type}`;
  const id = `${payload.readUInt16BE(0)}.${payload.readUInt16BE(2)}`;
  return METHODS[id] ?? `method ${id}`;
}

const sent: Direction = { chunks: 0, bytes: 0, frames: {} };
const received: Direction = { chunks: 0, bytes: 0, frames: {} };
const proxy = net.createServer((client) => {
  const broker = net.connect(Number(target.port || 5672), target.hostname);
  client.setNoDelay(true);
  broker.setNoDelay(true);
  const up = counter(sent, true);
  const down = counter(received, false);
  client.on("data", (chunk: Buffer) => {
    up(chunk);
    broker.write(chunk);
  });
  broker.on("data", (chunk: Buffer) => {
    down(chunk);
    client.write(chunk);
  });
  client.on("close", () => broker.destroy());
  broker.on("close", () => client.destroy());
  client.on("error", () => broker.destroy());
  broker.on("error", () => client.destroy());
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const { port } = proxy.address() as net.AddressInfo;
const through = new URL(target);
through.hostname = "127.0.0.1";
through.port = String(port);
process.env.SLUICE_AMQP_URL = through.toString();

// rpc.ts prints its own line and exits; this one follows it, before the process ends.
const perTrip = (direction: Direction, trips: number) => ({
  chunks: round(direction.chunks / trips),
  bytes: round(direction.bytes / trips),
  frames: Object.fromEntries(
    Object.entries(direction.frames)
      .map(([kind, n]) => [kind, round(n / trips)] as const)
      .filter(([, n]) => n >= 0.05)
      .sort(([a], [b]) => a.localeCompare(b)),
  ),
});
const exit = process.exit.bind(process);
process.exit = ((code?: number) => {
  const trips = Number(count) + warmedUp;
  const line = {
    arm,
    workload: "rpc-frames",
    trips,
    sent: perTrip(sent, trips),
    received: perTrip(received, trips),
  };
  console.log(JSON.stringify(line));
  // An arm whose connections did not go through the proxy has nothing counted: a failure, not a zero.
  const delivered = received.frames["basic.deliver"] ?? 0;
  if (delivered >= trips) return exit(code);
  console.error(`The proxy saw ${delivered} deliveries in ${trips} round trips`);
  return exit(1);
}) as typeof process.exit;
await import("./rpc.ts");

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
