// Sluice's own Pub/Sub connection (`_subscriber.ts`) and its RESP reader (`_resp.ts`): replies split at any
// byte, a message far larger than a socket's chunk, logins taken and refused, a server that never answers,
// bytes out of step, and a subscription given while the server is down.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type Server, type Socket } from "node:net";
import fc from "fast-check";
import { ConnectionError, createLogger, type Logger, silentLogger } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { Redis } from "ioredis";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";
import { encodeCommand, ErrorReply, type Reply, ReplyReader } from "../_resp.ts";
import { Subscriber } from "../_subscriber.ts";
import type { Receiver } from "../_pubsub.ts";
import { endpoint, type RedisConnectionOptions } from "../options.ts";
import { raw, server, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);

/** A reply as RESP2, the way a server writes it. */
function encodeReply(reply: Reply): Uint8Array {
  const parts: Uint8Array[] = [];
  const write = (r: Reply): void => {
    if (r === null) parts.push(bytes("$-1\r\n"));
    else if (typeof r === "string") parts.push(bytes(`+${r}\r\n`));
    else if (typeof r === "number") parts.push(bytes(`:${r}\r\n`));
    else if (r instanceof ErrorReply) parts.push(bytes(`-${r.message}\r\n`));
    else if (r instanceof Uint8Array) parts.push(bytes(`$${r.length}\r\n`), r, bytes("\r\n"));
    else {
      parts.push(bytes(`*${r.length}\r\n`));
      r.forEach(write);
    }
  };
  write(reply);
  return concat(parts);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Replies as plain values that deepEqual compares: bytes as arrays of numbers, errors by message. */
function plain(reply: Reply): unknown {
  if (reply instanceof Uint8Array) return { bulk: [...reply] };
  if (reply instanceof ErrorReply) return { error: reply.message };
  return Array.isArray(reply) ? reply.map(plain) : reply;
}

const line = fc.stringMatching(/^[ -~]{0,12}$/);
const { reply: replyArbitrary } = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    line,
    line.map((m) => new ErrorReply(m)),
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.constant(null),
    fc.array(tie("reply"), { maxLength: 4 }),
  ),
}));

describe("redis RESP reader", () => {
  it("reads the same replies however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(replyArbitrary, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (replies, cuts) => {
          const stream = concat(replies.map(encodeReply));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const read: Reply[] = [];
          const reader = new ReplyReader((r) => void read.push(r));
          let from = 0;
          for (const point of [...points, stream.length]) {
            reader.feed(stream.subarray(from, point));
            from = point;
          }
          assert.deepEqual(read.map(plain), replies.map(plain));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads a bulk string over many chunks whole, once its last byte is there", () => {
    const body = new Uint8Array(1_000_000).map((_, i) => i % 251);
    const stream = encodeReply(["message", "big", body].map((r) => typeof r === "string" ? bytes(r) : r));
    const read: Reply[] = [];
    const reader = new ReplyReader((r) => void read.push(r));
    for (let at = 0; at < stream.length; at += 65_536) {
      assert.equal(read.length, 0);
      reader.feed(stream.subarray(at, at + 65_536));
    }
    assert.equal(read.length, 1);
    const [kind, channel, data] = read[0] as Uint8Array[];
    assert.equal(text.decode(kind), "message");
    assert.equal(text.decode(channel), "big");
    assert.deepEqual(data, body);
  });

  it("refuses a byte no reply starts with", () => {
    const reader = new ReplyReader(() => undefined);
    assert.throws(() => reader.feed(bytes("?what\r\n")), /out of step/);
  });

  it("writes a command as an array of bulk strings, counting bytes, not characters", () => {
    assert.equal(text.decode(encodeCommand(["SUBSCRIBE", "é"])), "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\né\r\n");
  });
});

/** A receiver that keeps what it got, as text. */
function collector(): Receiver & { got: string[]; renewed: number } {
  const got: string[] = [];
  return {
    got,
    renewed: 0,
    message(channel, body) {
      got.push(`${text.decode(channel)}=${body.length > 64 ? `${body.length} bytes` : text.decode(body)}`);
    },
    pmessage(pattern, channel, body) {
      got.push(
        `${typeof pattern === "string" ? pattern : text.decode(pattern)}:${text.decode(channel)}=${
          text.decode(body)
        }`,
      );
    },
    renew() {
      this.renewed++;
    },
  };
}

async function opened(options: RedisConnectionOptions, logger: Logger = silentLogger, timeout = 2000) {
  return await Subscriber.open(endpoint(options), logger, timeout);
}

describe("redis Pub/Sub connection (real)", { skip: server ? false : "no real redis" }, () => {
  it("receives channel and pattern messages, one larger than the socket's chunks, byte for byte", async () => {
    const subscriber = await opened({ url: server!.url });
    const receiver = collector();
    subscriber.listen(receiver);
    const root = unique("own");
    try {
      await subscriber.subscribe([`${root}.a`, `${root}.b`], false);
      await subscriber.subscribe([`${root}.p*`], true);
      const publisher = raw();
      const big = new Uint8Array(3_000_000).fill(7);
      await publisher.publish(`${root}.a`, "one");
      await publisher.publish(`${root}.b`, Buffer.from(big));
      await publisher.publish(`${root}.pq`, "two");
      await publisher.publish(`${root}.c`, "not subscribed");
      await until(() => receiver.got.length === 3, "three messages");
      assert.deepEqual(receiver.got, [
        `${root}.a=one`,
        `${root}.b=3000000 bytes`,
        `${root}.p*:${root}.pq=two`,
      ]);
      await subscriber.unsubscribe([`${root}.a`], false);
      await publisher.publish(`${root}.a`, "after");
      await publisher.publish(`${root}.b`, "still");
      await until(() => receiver.got.length === 4, "the fourth message");
      assert.equal(receiver.got[3], `${root}.b=still`);
      const clients = String(await publisher.call("CLIENT", "LIST"));
      assert.match(clients, / name=sluice-pubsub .*sub=1 psub=1/);
      publisher.disconnect();
    } finally {
      await subscriber.close();
    }
    await assert.rejects(subscriber.subscribe(["x"], false), ConnectionError);
  });

  it("logs in as an ACL user, and says to check the credentials when the password is wrong", async () => {
    const admin = raw();
    const user = unique("pubsub-user");
    await admin.call("ACL", "SETUSER", user, "on", ">pa55word", "&*", "+@all");
    const url = new URL(server!.url);
    try {
      const subscriber = await opened({ url: `redis://${user}:pa55word@${url.host}` });
      const receiver = collector();
      subscriber.listen(receiver);
      const channel = unique("acl");
      await subscriber.subscribe([channel], false);
      await admin.publish(channel, "hello");
      await until(() => receiver.got.length === 1, "the message");
      await subscriber.close();
      await assert.rejects(opened({ url: `redis://${user}:wr0ng@${url.host}` }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /WRONGPASS.*Check the username and password/);
        assert.doesNotMatch(e.message + String((e as Error).stack), /wr0ng/);
        return true;
      });
    } finally {
      await admin.call("ACL", "DELUSER", user);
      admin.disconnect();
    }
  });

  it("keeps a quiet connection whose server answers its PINGs", async () => {
    const logs = captureLogs();
    // A PING after every 50 ms of silence: with no answer, the connection would be dropped within 150 ms.
    const subscriber = await Subscriber.open(
      endpoint({ url: server!.url }),
      createLogger({ sink: logs.sink }),
      2000,
      50,
    );
    const receiver = collector();
    subscriber.listen(receiver);
    const channel = unique("quiet");
    try {
      await subscriber.subscribe([channel], false);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const publisher = raw();
      await publisher.publish(channel, "still here");
      await until(() => receiver.got.length === 1, "the message after the PINGs");
      publisher.disconnect();
      assert.deepEqual(receiver.got, [`${channel}=still here`]);
      assert.equal(logs.find("warn", "Lost the pubsub connection").length, 0);
    } finally {
      await subscriber.close();
    }
  });

  it("goes on with a warning when given a password the server does not need", async () => {
    const logs = captureLogs();
    const subscriber = await opened(
      { url: server!.url, password: "unneeded" },
      createLogger({ sink: logs.sink }),
    );
    await subscriber.close();
    assert.equal(logs.find("warn", "has no password, but one was given").length, 1);
  });
});

/** A server that speaks just enough RESP: `answer` gets each connection's bytes. */
async function fakeServer(
  answer: (socket: Socket, data: string) => void,
): Promise<Server & { port: number }> {
  const fake = createServer((socket) => {
    socket.on("data", (d: Uint8Array) => answer(socket, text.decode(d)));
    // A client that closes its connection with a reply still unread resets it (ECONNRESET here, at times,
    // under Node 24): the server, as a real one does, lets that connection go and carries on.
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  return Object.assign(fake, { port: (fake.address() as { port: number }).port });
}

/** `promise`, or a failure naming `what` after 5 s. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), 5000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function stop(fake: Server): Promise<void> {
  await new Promise((resolve) => fake.close(resolve));
}

describe("redis Pub/Sub connection (a server that misbehaves)", () => {
  it("fails after the connect timeout when the server never answers, naming the cause", async () => {
    const sockets: Socket[] = [];
    const fake = await fakeServer((socket) => void sockets.push(socket));
    try {
      await assert.rejects(
        opened({ url: `redis://127.0.0.1:${fake.port}` }, silentLogger, 300),
        (e: unknown) => {
          assert.ok(e instanceof ConnectionError);
          assert.match(e.message, /ETIMEDOUT.*300 ms.*Is Redis running/);
          return true;
        },
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await stop(fake);
    }
  });

  it("drops a connection whose bytes are out of step, reconnects and has the subscriptions renewed", async () => {
    const commands: string[] = [];
    let connections = 0;
    const sockets: Socket[] = [];
    const fake = await fakeServer((socket, data) => {
      if (!sockets.includes(socket)) (sockets.push(socket), connections++);
      commands.push(data.split("\r\n").filter((_, i) => i % 2 === 0 && i > 0).join(" "));
      if (data.includes("SETNAME")) socket.write("+OK\r\n");
      if (data.includes("SUBSCRIBE")) {
        socket.write("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
        // The first connection then goes wrong; the second one works.
        socket.write(
          connections === 1 ? "?garbage\r\n" : "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
        );
      }
    });
    const logs = captureLogs();
    const subscriber = await opened(
      { url: `redis://127.0.0.1:${fake.port}` },
      createLogger({ sink: logs.sink }),
    );
    const receiver = collector();
    receiver.renew = () => void subscriber.subscribe(["news"], false);
    subscriber.listen(receiver);
    try {
      await within(subscriber.subscribe(["news"], false), "the subscription");
      await until(() => receiver.got.length === 1, "the message on the second connection");
      assert.deepEqual(receiver.got, ["news=hi"]);
      assert.equal(connections, 2);
      const connection = ["CLIENT SETNAME sluice-pubsub", "SUBSCRIBE news"];
      assert.deepEqual(commands, [...connection, ...connection]);
      assert.equal(logs.find("error", "out of step").length, 1);
      assert.equal(logs.find("warn", "Lost the pubsub connection").length, 1);
      assert.equal(logs.find("info", "Reconnected").length, 1);
    } finally {
      await subscriber.close();
      for (const socket of sockets) socket.destroy();
      await stop(fake);
    }
  });
});

describe("redis Pub/Sub connection (a server that goes silent)", () => {
  it("pings after a silence, and drops and renews a connection whose server does not answer", async () => {
    const sockets: Socket[] = [];
    // What each connection's server read: commands written in one turn may come in one chunk.
    const read = ["", ""];
    const count = (connection: number, command: string) => read[connection]!.split(command).length - 1;
    const fake = await fakeServer((socket, data) => {
      if (!sockets.includes(socket)) sockets.push(socket);
      const connection = sockets.indexOf(socket);
      read[connection] += data;
      if (data.includes("SETNAME")) socket.write("+OK\r\n");
      if (data.includes("SUBSCRIBE")) socket.write("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
      // The first connection's server reads the PING and never answers, as one gone without closing; the
      // second one answers, as Redis does in subscribed mode.
      if (data.includes("PING") && connection > 0) socket.write("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    });
    const logs = captureLogs();
    const subscriber = await Subscriber.open(
      endpoint({ url: `redis://127.0.0.1:${fake.port}` }),
      createLogger({ sink: logs.sink }),
      2000,
      100,
    );
    const receiver = collector();
    receiver.renew = () => void subscriber.subscribe(["news"], false);
    subscriber.listen(receiver);
    try {
      await within(subscriber.subscribe(["news"], false), "the subscription");
      await until(() => count(1, "SUBSCRIBE") === 1, "the subscription renewed on a second connection");
      assert.deepEqual(
        [count(0, "SETNAME"), count(0, "SUBSCRIBE"), count(0, "PING")],
        [1, 1, 1],
        "one PING on the first connection, then nothing more before it was dropped",
      );
      const [lost, ...more] = logs.find("warn", "Lost the pubsub connection");
      assert.equal(more.length, 0);
      assert.match(lost!.message, /\(Error: no reply to a PING within 100 ms\); reconnecting/);
      // The second server answers: past several silent periods, the connection stays. (The first
      // connection's PING, unanswered, is written again on it too.)
      const before = count(1, "PING");
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal(sockets.length, 2);
      assert.ok(count(1, "PING") >= before + 2, "a PING after each silence");
      assert.equal(logs.find("warn", "Lost the pubsub connection").length, 1);
    } finally {
      await subscriber.close();
      for (const socket of sockets) socket.destroy();
      await stop(fake);
    }
  });
});

describe("redis Pub/Sub connection (a server that hangs up)", () => {
  it("writes a subscription again that had no answer when the connection was lost, and resolves it", async () => {
    let connections = 0;
    const fake = await fakeServer((socket, data) => {
      if (data.includes("SETNAME")) return void (connections++, socket.write("+OK\r\n"));
      // The first connection hangs up on the SUBSCRIBE; the second one answers it.
      if (connections === 1) return void socket.destroy();
      socket.write("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    });
    const subscriber = await opened({ url: `redis://127.0.0.1:${fake.port}` });
    subscriber.listen(collector());
    try {
      await within(subscriber.subscribe(["news"], false), "the answer on the second connection");
      assert.equal(connections, 2);
      assert.equal(subscriber.ready, true);
    } finally {
      await subscriber.close();
      await stop(fake);
    }
  });
});

describe("redis Pub/Sub connection (real, private server)", {
  skip: privateSkip("redis", "private redis-server"),
}, () => {
  let broker: PrivateBroker | undefined;
  before(async () => {
    broker = await privateBroker("redis");
  });
  after(() => broker?.dispose());

  it("holds a subscription given while the server is down until it is back, then delivers", async () => {
    const logs = captureLogs();
    const subscriber = await opened({ url: broker!.url }, createLogger({ sink: logs.sink }));
    const receiver = collector();
    subscriber.listen(receiver);
    try {
      await broker!.stop();
      await until(() => !subscriber.ready, "the loss");
      let confirmed = false;
      const subscribed = subscriber.subscribe(["later"], false).then(() => void (confirmed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(confirmed, false);
      await broker!.start();
      await within(subscribed, "the subscription once the server is back");
      const publisher = new Redis(broker!.url, { maxRetriesPerRequest: 1 });
      await publisher.publish("later", "back");
      await until(() => receiver.got.length === 1, "the message");
      assert.deepEqual(receiver.got, ["later=back"]);
      assert.equal(receiver.renewed, 1);
      publisher.disconnect();
    } finally {
      await subscriber.close();
    }
  });

  it("stops trying when closed while the server is down, and fails what waited", async () => {
    const subscriber = await opened({ url: broker!.url });
    await broker!.stop();
    await until(() => !subscriber.ready, "the loss");
    const waiting = subscriber.subscribe(["never"], false);
    await subscriber.close();
    await assert.rejects(waiting, (e: unknown) => e instanceof ConnectionError && /closed/.test(e.message));
    await broker!.start();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const admin = new Redis(broker!.url, { maxRetriesPerRequest: 1 });
    assert.doesNotMatch(String(await admin.call("CLIENT", "LIST")), /sluice-pubsub/);
    admin.disconnect();
  });
});
