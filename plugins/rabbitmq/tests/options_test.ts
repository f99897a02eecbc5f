// Options fail at once naming the option; connection failures name the URL without credentials; TLS URLs;
// connect("amqp://…") through the registry; oversized messages. On the emulation and the real broker.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, ConnectionError, createLogger, OptionError } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { MessageTooLargeError, rabbitmq } from "../mod.ts";
import { describeBoth, realUrl, unique, until } from "./_targets.ts";

describe("rabbitmq options", () => {
  it("rejects bad broker options at once, naming the option and what is allowed", () => {
    assert.throws(() => rabbitmq({ publishWindow: 0 }), (e: unknown) => {
      assert.ok(e instanceof OptionError);
      assert.match(e.message, /publishWindow must be at least 1/);
      return true;
    });
    assert.throws(
      () => rabbitmq({ declare: { exchanges: [{ name: "x", type: "topc" as "topic" }] } }),
      /declare\.exchanges\[0\]\.type must be "direct", "fanout", "headers" or "topic"/,
    );
    assert.throws(() => rabbitmq({ url: "http://guest:hunter2@localhost" }), (e: unknown) => {
      assert.ok(e instanceof OptionError);
      assert.match(e.message, /scheme must be amqp: or amqps:/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    assert.throws(() => rabbitmq({ reconnect: { factor: 0.5 } }), /reconnect\.factor must be at least 1/);
  });

  it("rejects an unknown broker option with a hint at the one meant, and accepts the core's", () => {
    assert.throws(() => rabbitmq({ publishWindows: 8 } as never), (e: unknown) => {
      assert.ok(e instanceof OptionError);
      assert.match(
        e.message,
        /Invalid RabbitMQ broker option: unknown option "publishWindows": did you mean "publishWindow"\?/,
      );
      return true;
    });
    assert.doesNotThrow(() => rabbitmq({ maxBodySize: 1024, drainTimeout: 100, logLevel: "error" }));
  });

  it("shows the URL without the password", () => {
    const broker = rabbitmq({ url: "amqps://app:hunter2@rabbit.example.com:5671/prod" });
    assert.equal(broker.driver.url, "amqps://app:***@rabbit.example.com:5671/prod");
    const withOption = rabbitmq({ url: "amqp://localhost", username: "app", password: "p@ss/word" });
    assert.equal(withOption.driver.url, "amqp://app:***@localhost");
  });

  it("names the URL, not the password, when it cannot connect, and never logs the password", async () => {
    const logs = captureLogs();
    const broker = rabbitmq({
      url: "amqp://guest:hunter2@127.0.0.1:1",
      logger: createLogger({ level: "debug", sink: logs.sink }),
    });
    await assert.rejects(broker.start(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(
        e.message,
        /Cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1.*ECONNREFUSED.*Is RabbitMQ running/,
      );
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    assert.ok(logs.records.every((r) => !JSON.stringify(r).includes("hunter2")));
  });

  it("tries TLS for amqps:// URLs and reports a failed handshake without the password", async () => {
    const broker = rabbitmq({
      url: "amqps://guest:hunter2@127.0.0.1:5672",
      tls: { rejectUnauthorized: true, servername: "localhost" },
    });
    const started = broker.start();
    await assert.rejects(started, (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });
});

describe("rabbitmq registry (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it('connects through connect("amqp://…")', async () => {
    const broker = await connect(realUrl!, { logLevel: "error" });
    try {
      assert.equal(broker.driver.name, "rabbitmq");
      await broker.ping();
    } finally {
      await broker.close();
    }
  });

  it("refuses wrong credentials with a hint and without the password", async () => {
    const url = new URL(realUrl!);
    url.password = "not-the-password";
    const broker = rabbitmq({ url: url.toString(), logLevel: "error" });
    await assert.rejects(broker.start(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /ACCESS_REFUSED|user name and password/);
      assert.doesNotMatch(e.message, /not-the-password/);
      return true;
    });
  });
});

describeBoth("options", (t) => {
  it("rejects bad subscriber options when the subscriber starts, naming the option", async () => {
    const { broker } = t.broker();
    broker.subscriber("k", { exchange: { name: "x", type: "bogus" as "topic" } }).handle(() => {});
    await assert.rejects(
      testBroker(broker, { real: t.real }),
      /Invalid RabbitMQ subscriber option of k: exchange.*type must be/,
    );
  });

  it("rejects unknown subscriber and publish options with a hint at the one meant", async () => {
    const { broker } = t.broker();
    broker.subscriber("k", { routingkey: "k.#" } as never).handle(() => {});
    await assert.rejects(
      testBroker(broker, { real: t.real }),
      /Invalid RabbitMQ subscriber option of k: unknown option "routingkey": did you mean "routingKey"\?/,
    );
    const publisher = t.broker().broker;
    await using br = await t.start(publisher);
    await assert.rejects(
      br.publish("x", unique("typo."), { persistant: true } as never),
      /Invalid RabbitMQ publish option of typo\.\w+: unknown option "persistant": did you mean "persistent"\?/,
    );
  });

  it("refuses a quorum queue without a name", async () => {
    const { broker } = t.broker();
    broker.subscriber("k", { queue: { type: "quorum" } }).handle(() => {});
    await assert.rejects(testBroker(broker, { real: t.real }), /quorum queue must be named/);
  });

  it("refuses to publish a message over the broker's maxMessageSize", async () => {
    const { broker } = t.broker({ maxMessageSize: 1024 });
    await using br = await t.start(broker);
    await assert.rejects(br.publish("x".repeat(2000), unique("size.")), MessageTooLargeError);
  });

  it("rejects an oversized message with a logged error and its id, and keeps consuming", async () => {
    const { broker, logs } = t.broker();
    const ch = unique("size.");
    const got = broker.subscriber(ch, { maxMessageSize: 1024 }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish(new Uint8Array(2000), ch, { messageId: "m-big" });
    await br.publish("small", ch);
    await until(() => got.mock.calls.length === 1, "the small message");
    await until(() => logs.find("error", "m-big").length === 1, "the logged rejection");
    assert.match(
      logs.find("error", "m-big")[0]!.message,
      /2000 bytes, over maxMessageSize \(1024\); rejected/,
    );
    assert.deepEqual(got.mock.calls.map((c) => c.body), ["small"]);
  });
});
