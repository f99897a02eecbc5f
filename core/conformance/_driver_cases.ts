/**
 * The driver cases: the rules of the driver contract that the broker API hides — handing over messages
 * while fewer than `prefetch` are unsettled, settling after `stop()`, the core's reply subscription, and
 * ordering keys. They talk to the driver (or the emulation) directly.
 *
 * @module
 */

import type { Driver, IncomingMessage, OutgoingMessage } from "../driver.ts";
import { createLogger } from "../logger.ts";
import { CORE_SUBSCRIBER_OPTIONS, withoutCore } from "../options.ts";
import { CORE_PUBLISH_OPTIONS } from "../publish_options.ts";
import { REPLY_CHANNEL_PREFIX } from "../_reply_channel.ts";
import { assert, pause, unique, until } from "./_assert.ts";
import type { ConformanceTarget, Scenario, TestFunctions } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function outgoing(body: unknown, id: string): OutgoingMessage {
  return {
    body: encoder.encode(JSON.stringify(body)),
    headers: {},
    contentType: "application/json",
    correlationId: id,
    messageId: id,
  };
}

function bodyOf(message: IncomingMessage): unknown {
  return JSON.parse(decoder.decode(message.body));
}

/** Registers the driver cases for `target`. */
export function driverCases(target: ConformanceTarget, { describe, it }: TestFunctions): void {
  const timeout = target.timeout ?? 5000;
  const quiet = target.real ? 300 : 30;
  const logger = createLogger({ level: "error" });

  /** The driver under test: the real one, or the plugin's emulation. */
  function driverOf(): Driver | undefined {
    const broker = target.createBroker({ logger });
    return target.real ? broker.driver : broker.emulate();
  }
  const noEmulation = target.real || target.createBroker({ logger }).emulate()
    ? false
    : "the plugin has no emulation";

  async function session(scenario: Scenario) {
    const driver = driverOf()!;
    await driver.connect({ logger });
    const prefix = unique();
    const channel = (...parts: string[]): string => [prefix, ...parts].join(driver.rules.separator);
    const options = withoutCore(target.subscriberOptions?.(scenario) ?? {}, CORE_SUBSCRIBER_OPTIONS);
    const publishOptions = withoutCore(target.publishOptions?.(scenario) ?? {}, CORE_PUBLISH_OPTIONS);
    return {
      driver,
      channel,
      subscribe: (
        ch: string,
        prefetch: number,
        deliver: (m: IncomingMessage) => Promise<void>,
        reply = false,
      ) =>
        driver.subscribe(
          { channel: driver.rules.pattern(ch), template: ch, prefetch, reply, options },
          deliver,
        ),
      publish: (ch: string, body: unknown, id: string, extra: Record<string, unknown> = {}) =>
        driver.publish(ch, outgoing(body, id), { ...publishOptions, ...extra }),
      [Symbol.asyncDispose]: () => driver.close(),
    };
  }

  describe(`driver contract: ${target.name}`, () => {
    it(
      "keeps handing over messages while fewer than prefetch are unsettled",
      { skip: noEmulation },
      async () => {
        await using s = await session("window");
        const ch = s.channel("window");
        const held: { message: IncomingMessage; settled: () => void }[] = [];
        const handle = await s.subscribe(ch, 4, (message) =>
          new Promise<void>((settled) => {
            held.push({ message, settled });
          }));
        for (let i = 0; i < 8; i++) await s.publish(ch, { i }, `w${i}-${unique()}`);
        // Nothing is settled yet: the driver must still hand over as many as the window holds.
        await until(() => held.length >= 4, timeout, "four unsettled messages handed over");
        for (let settledCount = 0; settledCount < 8;) {
          await until(() => held.length > settledCount, timeout, `message ${settledCount + 1} of 8`);
          const { message, settled } = held[settledCount++]!;
          await message.ack();
          settled();
        }
        const seen = held.map((h) => (bodyOf(h.message) as { i: number }).i).sort((a, b) => a - b);
        assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
        await handle.stop();
      },
    );

    it("lets the core settle a message after stop()", { skip: noEmulation }, async () => {
      await using s = await session("stop");
      const ch = s.channel("stop");
      const held: { message: IncomingMessage; settled: () => void }[] = [];
      const handle = await s.subscribe(ch, 2, (message) =>
        new Promise<void>((settled) => {
          held.push({ message, settled });
        }));
      await s.publish(ch, "late", `s-${unique()}`);
      await until(() => held.length === 1, timeout, "the message");
      await handle.stop();
      // The core settles what it holds after stopping: that must neither throw nor hang.
      await held[0]!.message.ack();
      held[0]!.settled();
      await pause(quiet);
      assert.equal(held.length, 1);
    });

    it(
      "delivers replies to the core's reply subscription with their correlation id",
      { skip: noEmulation },
      async () => {
        await using s = await session("reply");
        const ch = REPLY_CHANNEL_PREFIX + unique();
        const replies: IncomingMessage[] = [];
        const handle = await s.subscribe(ch, 16, async (message) => {
          replies.push(message);
          await message.ack();
        }, true);
        await s.publish(ch, { answer: 42 }, "reply-1");
        await until(() => replies.length === 1, timeout, "the reply");
        assert.equal(replies[0]!.correlationId, "reply-1");
        assert.deepEqual(bodyOf(replies[0]!), { answer: 42 });
        await handle.stop();
      },
    );

    it(
      "hands over the ordering key a message was published with",
      { skip: noEmulation || (target.keyOptions ? false : "the broker has no ordering keys") },
      async () => {
        await using s = await session("key");
        const ch = s.channel("keyed");
        const seen: IncomingMessage[] = [];
        const handle = await s.subscribe(ch, 8, async (message) => {
          seen.push(message);
          await message.ack();
        });
        await s.publish(ch, 1, `k-${unique()}`, target.keyOptions!("customer-7"));
        await until(() => seen.length === 1, timeout, "the keyed message");
        assert.equal(seen[0]!.key, "customer-7");
        await handle.stop();
      },
    );
  });
}
