// Strings MQTT 5 cannot carry (control characters, non-characters, unpaired surrogates, more than 65,535
// bytes): Mosquitto drops the connection on such a packet and MQTT.js sends it again on every reconnect, so
// the publish is refused before it reaches the client, and the connection keeps serving later publishes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NotSupportedError, OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { targets, unique, until } from "./_targets.ts";

/** Settles like `promise`, or rejects after `ms` ms: a publish that never settles fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const BAD_VALUES: readonly [string, string][] = [
  ["a line feed", "first\nsecond"],
  ["a carriage return", "first\rsecond"],
  ["a NUL", "first\u0000second"],
  ["a tab", "first\tsecond"],
  ["a C1 control", "first\u0085second"],
  ["a non-character", "first\uffffsecond"],
  ["an unpaired surrogate", "first\ud800second"],
];

for (const target of targets()) {
  describe(`strings MQTT 5 cannot carry (${target.name})`, () => {
    it(
      "refuses a header value the broker would reject, naming header and message, and delivers the next publish",
      { timeout: 60_000 },
      async () => {
        const topic = `${unique()}/headers`;
        const app = target.broker({ reconnectPeriod: 200 });
        const seen = app.subscriber(topic).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        for (const [what, value] of BAD_VALUES) {
          await assert.rejects(
            within(
              br.publish({ what }, topic, { headers: { "x-note": value }, messageId: "m-bad" }),
              3000,
              `the publish with ${what}`,
            ),
            (error: unknown) => {
              assert.ok(error instanceof NotSupportedError, `${what}: ${error}`);
              assert.match(error.message, /header "x-note"/);
              assert.match(error.message, /message m-bad/);
              assert.match(error.message, new RegExp(topic));
              return true;
            },
          );
          await within(
            br.publish({ after: what }, topic, { headers: { "x-note": "fine" } }),
            3000,
            "a good publish",
          );
        }
        await until(() => seen.mock.calls.length === BAD_VALUES.length, "the good messages", 10_000);
        assert.deepEqual(
          seen.mock.calls.map((c) => c.body),
          BAD_VALUES.map(([what]) => ({ after: what })),
        );
        assert.deepEqual(seen.mock.calls[0]!.headers, { "x-note": "fine" });
      },
    );

    it(
      "refuses a bad header name, content type and reply topic the same way",
      { timeout: 60_000 },
      async () => {
        const topic = `${unique()}/fields`;
        const app = target.broker({ reconnectPeriod: 200 });
        const seen = app.subscriber(topic).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        const attempts: [RegExp, Promise<void>][] = [
          [/header "x-\\u000a-name"/, br.publish(1, topic, { headers: { "x-\n-name": "v" } })],
          [/content type/, br.publish(new Uint8Array([1]), topic, { contentType: "text/plain;\n x=1" })],
          [/reply topic/, br.publish(1, topic, { replyTo: "replies\r\n" })],
          [/message id/, br.publish(1, topic, { messageId: "id\u0000" })],
        ];
        for (const [pattern, attempt] of attempts) {
          await assert.rejects(within(attempt, 3000, `a publish expecting ${pattern}`), (error: unknown) => {
            assert.ok(error instanceof NotSupportedError, String(error));
            assert.match(error.message, pattern);
            return true;
          });
        }
        await within(br.publish("after", topic), 3000, "a good publish");
        await until(() => seen.mock.calls.length === 1, "the good message", 10_000);
        assert.equal(seen.mock.calls[0]!.body, "after");
      },
    );

    it("refuses a topic with a control character", { timeout: 60_000 }, async () => {
      const app = target.broker({ reconnectPeriod: 200 });
      await using br = await testBroker(app, { real: target.real });
      await assert.rejects(within(br.publish(1, `${unique()}/a\nb`), 3000, "the publish"), OptionError);
      await within(br.publish(1, `${unique()}/ok`), 3000, "a good publish");
    });

    it("refuses a subscription filter or group with a control character", { timeout: 60_000 }, async () => {
      const bad = target.broker();
      bad.subscriber(`${unique()}/a\nb`).handle(() => {});
      await assert.rejects(testBroker(bad, { real: target.real }), (error: unknown) => {
        assert.ok(error instanceof OptionError, String(error));
        assert.match(error.message, /a\\u000ab": it has a line feed \(U\+000A\)/);
        return true;
      });
      await bad.close();
      const group = target.broker();
      group.subscriber(`${unique()}/jobs`, { group: "workers\r" }).handle(() => {});
      await assert.rejects(testBroker(group, { real: target.real }), OptionError);
      await group.close();
    });

    it("refuses a header value longer than 65,535 bytes and keeps one of exactly that size", {
      timeout: 60_000,
    }, async () => {
      const topic = `${unique()}/long`;
      const app = target.broker({ reconnectPeriod: 200 });
      const seen = app.subscriber(topic).handle(() => {});
      await using br = await testBroker(app, { real: target.real });
      // 21,846 three-byte characters: 65,538 bytes, though only 21,846 UTF-16 code units.
      await assert.rejects(
        within(br.publish(1, topic, { headers: { "x-long": "€".repeat(21_846) } }), 3000, "the long publish"),
        (error: unknown) => {
          assert.ok(error instanceof NotSupportedError, String(error));
          assert.match(error.message, /header "x-long".*65,538 bytes.*65,535/);
          return true;
        },
      );
      await within(br.publish(2, topic, { headers: { "x-long": "x".repeat(65_535) } }), 5000, "the largest");
      await until(() => seen.mock.calls.length === 1, "the largest header", 10_000);
      assert.equal(seen.mock.calls[0]!.headers["x-long"]!.length, 65_535);
    });

    it(
      "dead-letters a message whose handler failed with a multi-line error, the reason on one line",
      { timeout: 60_000 },
      async () => {
        const topic = `${unique()}/work`;
        const app = target.broker({ reconnectPeriod: 200 });
        app.subscriber(topic, { deadLetter: `${topic}/dlq` }).handle(() => {
          throw new Error("the order is invalid:\n- no items\r\n- no\u0000address");
        });
        const dead = app.subscriber(`${topic}/dlq`).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        await br.publish({ order: 1 }, topic);
        await until(() => dead.mock.calls.length === 1, "the dead letter", 10_000);
        assert.equal(
          dead.mock.calls[0]!.headers["x-sluice-error"],
          "Error: the order is invalid: - no items - no address",
        );
        await within(br.publish({ order: 2 }, topic), 3000, "a later publish");
        await until(() => dead.mock.calls.length === 2, "the second dead letter", 10_000);
      },
    );

    it("dead-letters a message whose error is too long for a header, the reason cut short", {
      timeout: 60_000,
    }, async () => {
      const topic = `${unique()}/work`;
      const app = target.broker({ reconnectPeriod: 200 });
      app.subscriber(topic, { deadLetter: `${topic}/dlq` }).handle(() => {
        throw new Error("é".repeat(40_000));
      });
      const dead = app.subscriber(`${topic}/dlq`).handle(() => {});
      await using br = await testBroker(app, { real: target.real });
      await br.publish({ order: 1 }, topic);
      await until(() => dead.mock.calls.length === 1, "the dead letter", 10_000);
      const reason = dead.mock.calls[0]!.headers["x-sluice-error"]!;
      assert.ok(reason.startsWith("Error: éé"));
      assert.ok(reason.endsWith("…"));
      const bytes = new TextEncoder().encode(reason).length;
      assert.ok(bytes <= 65_535 && bytes >= 65_532, `${bytes} bytes`);
    });
  });
}
