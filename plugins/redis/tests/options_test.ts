// Options, URLs and security: bad options fail at once naming the option; the URL gives credentials, TLS
// and the database index; credentials never show in URLs, logs or errors; ACL users and databases work.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Broker, connect, ConnectionError, createLogger, OptionError } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { features, optionsFromUrl, redis, type RedisDriver } from "../mod.ts";
import { endpoint } from "../options.ts";
import { raw, server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

describe("redis options", () => {
  it("rejects bad broker options at once, naming the option", () => {
    assert.throws(
      () => redis({ kind: "queue" as never }),
      (e: unknown) => e instanceof OptionError && /kind/.test(e.message),
    );
    assert.throws(() => redis({ db: -1 }), (e: unknown) => e instanceof OptionError && /db/.test(e.message));
    assert.throws(
      () => redis({ url: "http://user:hunter2@host" }),
      (e: unknown) => e instanceof OptionError && /redis:\/\//.test(e.message) && !/hunter2/.test(e.message),
    );
  });

  it("rejects an unknown broker option, suggesting the closest one", () => {
    assert.throws(
      () => redis({ kidn: "list" } as never),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "kidn": did you mean "kind"\?/.test(e.message),
    );
    // The core's options are accepted beside the plugin's.
    redis({ kind: "list", logLevel: "error", drainTimeout: 100 });
  });

  it("refuses a pingInterval that is negative, or where ioredis's connections serve Pub/Sub", () => {
    const refused = (options: Parameters<typeof redis>[0], why: RegExp) =>
      assert.throws(() => redis(options), (e: unknown) => e instanceof OptionError && why.test(e.message));
    refused({ pingInterval: -1 }, /pingInterval/);
    refused({ pingInterval: 1.5 }, /pingInterval/);
    for (const other of [{ cluster: true as const }, { sentinel: "primary" }, { client: { family: 4 } }]) {
      refused({ ...other, pingInterval: 1000 }, /pingInterval is for Sluice's own Pub\/Sub connection/);
    }
    redis({ pingInterval: 0 });
    redis({ url: "redis://127.0.0.1:6379/2", pingInterval: 5000 });
  });

  it("reads the broker options of a redis:// URL, and refuses other schemes without the password", () => {
    assert.deepEqual(optionsFromUrl(new URL("rediss://app:pw@cache:6380/2")), {
      url: "rediss://app:pw@cache:6380/2",
    });
    assert.throws(
      () => optionsFromUrl("http://app:hunter2@cache"),
      (e: unknown) => e instanceof OptionError && /redis:\/\//.test(e.message) && !/hunter2/.test(e.message),
    );
  });

  it("states the features of each kind for the conformance suite", () => {
    assert.deepEqual(features(), { wildcards: true, groups: false, fanout: true, redelivery: false });
    assert.deepEqual(features({ kind: "list" }), {
      wildcards: false,
      groups: true,
      fanout: false,
      redelivery: true,
    });
    assert.deepEqual(features({ kind: "stream" }), {
      wildcards: false,
      groups: true,
      fanout: true,
      redelivery: true,
    });
  });

  it("parses credentials, the database index and TLS from the URL, and never shows the password", () => {
    const at = endpoint({ url: "rediss://app:s%40cret@cache.example.com:6380/4" });
    assert.deepEqual(
      { host: at.host, port: at.port, user: at.username, password: at.password, db: at.db, tls: at.tls },
      { host: "cache.example.com", port: 6380, user: "app", password: "s@cret", db: 4, tls: {} },
    );
    const broker = redis({ url: "redis://app:hunter2@127.0.0.1:6379/2" });
    assert.equal(broker.driver.url, "redis://127.0.0.1:6379/2");
    assert.equal(
      endpoint({ url: "redis://h", db: 7, tls: { servername: "h" } }).safeUrl,
      "rediss://h:6379/7",
    );
  });

  for (const target of targets) {
    it(`rejects bad subscriber options when the subscriber starts (${target.name})`, async () => {
      for (
        const [options, pattern] of [
          [{ stream: { claimIdle: -5 } }, /claimIdle/],
          [{ pubsub: { maxPending: 0 } }, /maxPending/],
          [{ list: true, stream: true }, /choose one of pubsub, list and stream/],
        ] as const
      ) {
        const broker = target.broker();
        broker.subscriber("orders", options as Record<string, unknown>).handle(() => {});
        await assert.rejects(testBroker(broker, { real: target.real }), pattern);
      }
      const patterned = target.broker();
      patterned.subscriber("logs.{level}", { list: true }).handle(() => {});
      await assert.rejects(testBroker(patterned, { real: target.real }), /Pub\/Sub channels only/);
    });

    it(`rejects unknown subscriber and publish options, suggesting the closest one (${target.name})`, async () => {
      for (
        const [options, pattern] of [
          [{ lsit: true }, /unknown option "lsit": did you mean "list"\?/],
          [{ concurency: 4 }, /unknown option "concurency": did you mean "concurrency"\?/],
          [{ stream: { claimIdel: 500 } }, /unknown option "claimIdel": did you mean "claimIdle"\?/],
          [{ pubsub: { maxPendnig: 5 } }, /unknown option "maxPendnig": did you mean "maxPending"\?/],
        ] as const
      ) {
        const broker = target.broker();
        broker.subscriber(unique("orders"), options as never).handle(() => {});
        await assert.rejects(testBroker(broker, { real: target.real }), (e: unknown) => {
          assert.ok(e instanceof OptionError);
          assert.match(e.message, /Invalid Redis subscriber option/);
          assert.match(e.message, pattern);
          return true;
        });
      }
      await using br = await testBroker(target.broker(), { real: target.real });
      await assert.rejects(
        br.publish("x", unique("orders"), { strem: true } as never),
        /Invalid Redis publish option.*unknown option "strem": did you mean "stream"\?/,
      );
      await assert.rejects(
        br.publish("x", unique("orders"), { stream: { maxLne: 5 } } as never),
        /unknown option "maxLne": did you mean "maxLen"\?/,
      );
    });
  }
});

describe("redis security and connections (real)", { skip: server ? false : "no real redis" }, () => {
  it("pings a silent Pub/Sub connection after pingInterval ms, and never with pingInterval 0", async () => {
    const admin = raw();
    // Sluice's Pub/Sub connections the server lists, each with the last command it received.
    const connections = async (): Promise<Map<string, string>> => {
      const lines = String(await admin.call("CLIENT", "LIST")).split("\n");
      const own = lines.filter((line) => / name=sluice-pubsub /.test(line));
      return new Map(own.map((line) => [/\bid=(\d+)/.exec(line)![1]!, /\bcmd=(\S+)/.exec(line)![1]!]));
    };
    try {
      for (const pingInterval of [100, 0]) {
        const before = await connections();
        const broker = redis({ url: server!.url, pingInterval, logLevel: "error" });
        broker.subscriber(unique("quiet")).handle(() => {});
        await broker.start();
        try {
          const id = [...(await connections()).keys()].find((id) => !before.has(id));
          assert.ok(id, "the broker's Pub/Sub connection");
          const last = async () => (await connections()).get(id);
          if (pingInterval > 0) await until(async () => (await last()) === "ping", "a PING");
          else {
            await new Promise((resolve) => setTimeout(resolve, 500));
            assert.equal(await last(), "subscribe");
          }
        } finally {
          await broker.close();
        }
      }
    } finally {
      admin.disconnect();
    }
  });

  it("fails to connect with an error that names the URL without the password", async () => {
    const logs = captureLogs();
    const broker = redis({
      url: "redis://someone:hunter2@127.0.0.1:1/0",
      connectTimeout: 500,
      logger: createLogger({ sink: logs.sink }),
    });
    await assert.rejects(broker.connect(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /redis:\/\/127\.0\.0\.1:1\/0/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    assert.ok(logs.records.every((r) => !JSON.stringify(r).includes("hunter2")));
  });

  it("authenticates as an ACL user, and says to check the credentials when they are wrong", async () => {
    const admin = raw();
    const user = unique("sluice-user");
    await admin.call("ACL", "SETUSER", user, "on", ">pa55word", "~*", "&*", "+@all");
    try {
      const url = new URL(server!.url);
      const base = `redis://${url.host}`;
      const broker = redis({ url: `redis://${user}:pa55word@${url.host}/0`, logLevel: "error" });
      const seen: unknown[] = [];
      broker.subscriber(unique("acl"), { list: true }).handle((b) => void seen.push(b));
      await using br = await testBroker(broker, { real: true });
      await br.publish("hello", broker.allSubscribers()[0]!.channel, { list: true });
      await until(() => seen.length === 1, "the message");
      const wrong = redis({ url: base, username: user, password: "nope", logLevel: "error" });
      await assert.rejects(wrong.connect(), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /Check the username and password/);
        assert.doesNotMatch(e.message, /nope/);
        return true;
      });
    } finally {
      await admin.call("ACL", "DELUSER", user);
      admin.disconnect();
    }
  });

  it("uses the database index from the URL path, and connect() serves redis:// URLs", async () => {
    const key = unique("db5");
    // connect() knows no plugin's types: the broker it returns is a Redis broker, typed as one here.
    const broker = await connect(`${server!.url.replace(/\/\d*$/, "")}/5`, {
      logLevel: "error",
    }) as Broker<RedisDriver>;
    try {
      await broker.publish({ n: 1 }, key, { list: true });
      const db5 = raw(5);
      const db0 = raw(0);
      assert.equal(await db5.llen(key), 1);
      assert.equal(await db0.llen(key), 0);
      await db5.del(key);
      db5.disconnect();
      db0.disconnect();
    } finally {
      await broker.close();
    }
  });
});
