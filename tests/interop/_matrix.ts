/**
 * The interoperability matrix: each cell a test named `<channel> · <direction> · <aspect>`, and a summary of
 * every cell — passed, failed, or not applicable and why — printed when a broker's file ends, so the log
 * lists what was exercised.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Context } from "@sluice/core";

/** Who publishes (or requests) and who consumes (or answers). */
export type Direction = "sluice → faststream" | "faststream → sluice";

export const TO_PY: Direction = "sluice → faststream";
export const FROM_PY: Direction = "faststream → sluice";

/** The aspects of the matrix, in the order the summary lists them. */
export const ASPECTS = [
  "json object (pydantic model)",
  "text",
  "bytes",
  "headers",
  "correlation id",
  "content type",
  "empty body (None)",
  "integer header value",
  "key",
  "batch",
  "request/reply",
] as const;

export type Aspect = typeof ASPECTS[number];

interface Result {
  readonly channel: string;
  readonly direction: Direction;
  readonly aspect: Aspect;
  status: "pass" | "FAIL" | "n/a" | "not run";
  readonly note?: string;
}

/** The cells of one broker's file. */
export class Matrix {
  readonly #results: Result[] = [];
  /** The broker the file tests. */
  readonly broker: string;

  // No parameter property: Node.js strips types but cannot run them.
  constructor(broker: string) {
    this.broker = broker;
  }

  /** One tested cell. */
  cell(
    channel: string,
    direction: Direction,
    aspect: Aspect,
    test: () => Promise<void>,
    note?: string,
  ): void {
    const result: Result = { channel, direction, aspect, status: "not run", note };
    this.#results.push(result);
    it(`${channel} · ${direction} · ${aspect}`, { timeout: 60_000 }, async () => {
      try {
        await test();
        result.status = "pass";
      } catch (error) {
        result.status = "FAIL";
        throw error;
      }
    });
  }

  /** A cell that cannot be exercised, and why (listed in the summary, not a test). */
  none(channel: string, direction: Direction, aspect: Aspect, why: string): void {
    this.#results.push({ channel, direction, aspect, status: "n/a", note: why });
  }

  /** The summary: one line per cell, then the counts. */
  summary(): string {
    const order = (r: Result) => ASPECTS.indexOf(r.aspect) * 2 + (r.direction === TO_PY ? 0 : 1);
    const channels = [...new Set(this.#results.map((r) => r.channel))];
    const lines = [`interop matrix: ${this.broker} (Sluice ⇄ Python FastStream 0.7.8)`];
    for (const channel of channels) {
      const rows = this.#results.filter((r) => r.channel === channel).sort((a, b) => order(a) - order(b));
      for (const r of rows) {
        const note = r.note ? `  (${r.note})` : "";
        lines.push(
          `  ${r.status.padEnd(7)} ${channel.padEnd(26)} ${r.direction.padEnd(20)} ${r.aspect}${note}`,
        );
      }
    }
    const count = (status: Result["status"]) => this.#results.filter((r) => r.status === status).length;
    lines.push(
      `  ${count("pass")} passed, ${count("FAIL")} failed, ${count("not run")} not run, ${
        count("n/a")
      } not applicable`,
    );
    return lines.join("\n");
  }
}

/** What a Sluice handler received, with the fields of its message. */
export interface Got {
  readonly body: unknown;
  readonly bodies?: readonly unknown[];
  readonly headers: Readonly<Record<string, string>>;
  readonly correlationId: string | undefined;
  readonly contentType: string | undefined;
  readonly replyTo: string | undefined;
  readonly key: string | undefined;
  readonly channel: string;
  readonly path: Readonly<Record<string, string>>;
  /** For a batch: each message's fields. */
  readonly batch?: readonly Got[];
}

function gotOf(body: unknown, ctx: Context): Got {
  const m = ctx.message;
  const got: Got = {
    body,
    headers: m.headers,
    correlationId: m.correlationId,
    contentType: m.contentType,
    replyTo: m.replyTo,
    key: m.key,
    channel: m.channel,
    path: ctx.path,
  };
  if (!ctx.batch) return got;
  const batch = ctx.batch.map((each, i) =>
    gotOf((body as unknown[])[i], { ...ctx, message: each, batch: undefined })
  );
  return { ...got, bodies: body as unknown[], batch };
}

/** A queue of what a Sluice handler receives: `handle` is the handler, `next()` waits for a message. */
export class Inbox {
  readonly #queue: Got[] = [];
  readonly #waiting: ((got: Got) => void)[] = [];

  /** Records the message and returns `reply(body)` (undefined by default: nothing is published). */
  handler<R>(reply?: (body: unknown) => R): (body: unknown, ctx: Context) => R | undefined {
    return (body, ctx) => {
      const got = gotOf(body, ctx);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(got);
      else this.#queue.push(got);
      return reply?.(body);
    };
  }

  /** The messages of the next batches, until `count` arrived (the broker may split them). */
  async batch(what: string, count: number): Promise<Got[]> {
    const messages: Got[] = [];
    while (messages.length < count) {
      const got = await this.next(what);
      assert.ok(got.batch, `${what} is not a batch subscriber`);
      messages.push(...got.batch);
    }
    return messages;
  }

  /** The next message, already received or within `timeout` ms. */
  next(what: string, timeout = 15_000): Promise<Got> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (got: Got) => (clearTimeout(timer), resolve(got));
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(new Error(`Sluice's subscriber ${what} got nothing in ${timeout} ms`));
      }, timeout);
      this.#waiting.push(waiter);
    });
  }
}
