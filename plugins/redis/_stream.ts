/**
 * A stream consumed through a consumer group. `XREADGROUP ... COUNT n BLOCK ms` reads batches of up to the
 * free prefetch slots; `XACK` settles an entry after success (and on reject: the core dead-letters first);
 * `nack()` leaves the entry pending and takes it back with `XCLAIM` after its delay. Entries left pending
 * by a consumer that died (or is slower than `claimIdle`) are claimed with `XAUTOCLAIM` and handled here.
 * On start, the consumer first re-reads its own pending entries (a restart under the same name).
 *
 * @module
 */

import {
  type Deliver,
  type IncomingMessage,
  type Logger,
  OptionError,
  type SubscriptionHandle,
} from "@sluice/core";
import { DeliveryWindow, describeError, sleep } from "@sluice/core/kit";
import { bytes, callBuffer, type Client } from "./_client.ts";
import type { StreamSubscribeOptions } from "./options.ts";
import { readMessage, streamEntryBytes } from "./message.ts";

type Entry = [id: Uint8Array, fields: Uint8Array[] | null];

const decoder = new TextDecoder();

/** Creates the group when missing (with MKSTREAM), or checks it exists when creation is off. */
export async function ensureGroup(
  client: Client,
  key: string,
  group: string,
  create: boolean,
  startId: string,
): Promise<void> {
  if (create) {
    try {
      await client.xgroup("CREATE", key, group, startId, "MKSTREAM");
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw error;
    }
    return;
  }
  let groups: unknown[] = [];
  try {
    groups = await client.xinfo("GROUPS", key) as unknown[];
  } catch {
    // No such stream: no such group either.
  }
  const names = groups.map((g) => {
    const flat = g as unknown[];
    return String(flat[flat.indexOf("name") + 1]);
  });
  if (!names.includes(group)) {
    throw new OptionError(
      `The consumer group "${group}" does not exist on stream "${key}": create it with ` +
        `XGROUP CREATE ${key} ${group} $ MKSTREAM, or set stream: { createGroup: true }`,
    );
  }
}

/** One stream consumer with its own blocking connection. */
export class StreamConsumer implements SubscriptionHandle {
  readonly #commands: Client;
  readonly #blocking: Client;
  readonly #key: string;
  readonly #group: string;
  readonly #consumer: string;
  readonly #options: StreamSubscribeOptions;
  readonly #window: DeliveryWindow;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  #loop: Promise<void> | undefined;
  #claimer: ReturnType<typeof setInterval> | undefined;
  #claiming = false;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    commands: Client,
    blocking: Client,
    key: string,
    group: string,
    options: StreamSubscribeOptions,
    prefetch: number,
    deliver: Deliver,
    logger: Logger,
  ) {
    this.#commands = commands;
    this.#blocking = blocking;
    this.#key = key;
    this.#group = group;
    this.#consumer = options.consumer ?? `sluice-${crypto.randomUUID()}`;
    this.#options = options;
    this.#window = new DeliveryWindow(
      prefetch,
      (error) => logger.error(`Delivery failed on ${key}: ${describeError(error)}`),
    );
    this.#deliver = deliver;
    this.#logger = logger;
  }

  /** This consumer's name in its group. */
  get consumer(): string {
    return this.#consumer;
  }

  /** Makes sure the group exists, then starts reading and claiming. */
  async start(): Promise<void> {
    await this.#ensure();
    this.#loop = this.#run();
    const idle = this.#options.claimIdle ?? 30_000;
    if (idle !== false) {
      const every = this.#options.claimInterval ?? Math.min(idle, 5000);
      this.#claimer = setInterval(() => void this.#claim(idle), every);
    }
  }

  #ensure(): Promise<void> {
    return ensureGroup(
      this.#commands,
      this.#key,
      this.#group,
      this.#options.createGroup ?? true,
      this.#options.startId ?? "$",
    );
  }

  async #run(): Promise<void> {
    const window = this.#window;
    let cursor = "0"; // first our own pending entries, then new ones
    let failures = 0;
    while (!window.closed) {
      if (window.room === 0) {
        await window.whenRoom();
        continue;
      }
      try {
        const args: (string | number)[] = ["GROUP", this.#group, this.#consumer, "COUNT", window.room];
        if (cursor === ">") args.push("BLOCK", this.#options.block ?? 2000);
        args.push("STREAMS", this.#key, cursor);
        const reply = await this.#blocking.callBuffer("XREADGROUP", ...args) as
          | [Uint8Array, Entry[]][]
          | null;
        failures = 0;
        const entries = reply?.[0]?.[1] ?? [];
        if (cursor !== ">") {
          if (entries.length === 0) cursor = ">";
          else cursor = decoder.decode(entries[entries.length - 1]![0]);
        }
        for (const entry of entries) this.#hand(entry, cursor !== ">");
      } catch (error) {
        if (window.closed) break;
        failures++;
        if (/NOGROUP/.test(String(error))) {
          this.#logger.warn(
            `Stream ${this.#key}: group ${this.#group} is gone (broker restarted?); re-creating it`,
          );
          await this.#ensure().catch((e) => this.#logger.error(`Stream ${this.#key}: ${describeError(e)}`));
        } else {
          this.#logger.warn(`Stream ${this.#key}: read failed (${describeError(error)}); retrying`);
        }
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  /** Claims entries idle for `idle` ms in the group (dead or slow consumers) while there is room. */
  async #claim(idle: number): Promise<void> {
    const window = this.#window;
    if (this.#claiming || window.closed || this.#commands.status !== "ready") return;
    this.#claiming = true;
    try {
      let start = "0-0";
      while (!window.closed && window.room > 0) {
        const reply = await callBuffer(
          this.#commands,
          "XAUTOCLAIM",
          this.#key,
          this.#group,
          this.#consumer,
          idle,
          start,
          "COUNT",
          window.room,
        ) as [Uint8Array, Entry[], unknown?];
        const entries = reply[1];
        if (entries.length > 0) {
          this.#logger.warn(`Stream ${this.#key}: claimed ${entries.length} entry(ies) idle for ${idle} ms`);
        }
        for (const entry of entries) this.#hand(entry, true);
        start = decoder.decode(reply[0]);
        if (start === "0-0") break;
      }
    } catch (error) {
      if (!window.closed) this.#logger.warn(`Stream ${this.#key}: claiming failed: ${describeError(error)}`);
    } finally {
      this.#claiming = false;
    }
  }

  #hand(entry: Entry, redelivered: boolean, count?: number): void {
    const [rawId, rawFields] = entry;
    const id = decoder.decode(rawId);
    const ack = (): Promise<void> => this.#commands.xack(this.#key, this.#group, id).then(() => undefined);
    if (!rawFields) {
      // Deleted (trimmed) while pending: nothing to handle.
      void ack().catch(() => undefined);
      return;
    }
    const { bytes: raw } = streamEntryBytes(rawFields.map(bytes));
    const fields = readMessage(raw);
    const deliveries = count ?? (redelivered ? 2 : 1);
    let open = true;
    const settle = (work: () => Promise<void>): Promise<void> => {
      if (!open) return Promise.resolve();
      open = false;
      return work();
    };
    const incoming: IncomingMessage = {
      channel: this.#key,
      body: fields.body,
      headers: fields.headers,
      contentType: fields.contentType,
      correlationId: fields.correlationId,
      messageId: fields.messageId ?? id,
      replyTo: fields.replyTo,
      decodeError: fields.error,
      redelivered: deliveries > 1,
      deliveryCount: count ?? (redelivered ? undefined : 1),
      raw: { stream: this.#key, id, group: this.#group, consumer: this.#consumer, data: raw },
      ack: () => settle(ack),
      reject: () => settle(ack),
      nack: (options) =>
        settle(() => {
          // The entry stays pending (owned by us): if this process dies now, another consumer claims it.
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            if (this.#window.closed) return;
            this.#reclaim(id, deliveries + 1);
          }, options?.delay ?? 0);
          this.#timers.add(timer);
          return Promise.resolve();
        }),
    };
    this.#window.hand(this.#deliver, incoming);
  }

  #reclaim(id: string, count: number): void {
    callBuffer(this.#commands, "XCLAIM", this.#key, this.#group, this.#consumer, 0, id)
      .then((reply) => {
        const entries = reply as Entry[];
        if (entries.length === 0) return this.#commands.xack(this.#key, this.#group, id);
        for (const entry of entries) this.#hand(entry, true, count);
      })
      .catch((error) =>
        this.#logger.warn(`Stream ${this.#key}: could not redeliver ${id}: ${describeError(error)}`)
      );
  }

  /** Stops reading and claiming; unsettled entries stay pending until the core settles them. */
  async stop(): Promise<void> {
    if (this.#window.closed) return;
    this.#window.close();
    clearInterval(this.#claimer);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#blocking.disconnect();
    await this.#loop?.catch(() => undefined);
  }
}
