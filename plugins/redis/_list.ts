/**
 * A list consumed as a queue. Reliable by default: `BLMOVE` moves each message to this consumer's
 * processing list (`<list>:processing:<consumer>`; `{<list>}:processing:<consumer>` in a cluster), `LREM`
 * removes it once settled, and a heartbeat key (`<list>:consumer:<consumer>`) says the consumer lives. When a heartbeat expires — the process died
 * mid-handler — any other consumer of the list moves that processing list back to the head of the queue,
 * on start and then periodically: nothing is lost. Batches: after the blocking move, up to `prefetch - 1`
 * more messages are moved at once by a script.
 *
 * Acks and rejects that settle in one turn of the event loop leave together, on its next check phase
 * (`setImmediate`), as one `LREM` or, for several, one script that runs an `LREM` per message: a round trip
 * and one ioredis command for the batch instead of one per message (in a drain, the per-command cost of
 * ioredis was most of a consumer's CPU). A message still leaves the processing list only after the core
 * settled it, and each settlement's promise resolves once Redis ran its removal; a process that dies
 * before the batch went out leaves those messages in its processing list, to be recovered like any other
 * unsettled one (delivered again: at least once). A graceful close sends the batch before it returns what
 * is left to the queue.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { type Deliver, type Logger, SETTLED, type SubscriptionHandle } from "@sluice/core";
import { DeliveryWindow, describeError, sleep } from "@sluice/core/kit";
import { buffer, bytes, type Client, events, isCluster, scanKeys } from "./_client.ts";
import type { ListSubscribeOptions } from "./options.ts";
import { type Fields, readMessage, RedisIncoming, withDeliveryCount } from "./message.ts";

/** Moves up to ARGV[1] messages from KEYS[1] to KEYS[2]; returns them. */
const MOVE_MANY = `local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  out[i] = v
end
return out`;

/** Removes one of each ARGV from the processing list KEYS[1]: the acks and rejects of one turn. */
const REMOVE_MANY = `for i = 1, #ARGV do redis.call('LREM', KEYS[1], 1, ARGV[i]) end
return #ARGV`;

/** Moves a processing list (KEYS[1]) back to the head of its queue (KEYS[2]) unless its heartbeat (KEYS[3]) lives. */
const RECOVER = `if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local n = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do n = n + 1 end
return n`;

/** Returns a message to the head of its queue: removes it from processing, pushes the new bytes. */
const REQUEUE = `redis.call('LREM', KEYS[1], 1, ARGV[1])
return redis.call('LPUSH', KEYS[2], ARGV[2])`;

/** Returns a message cut off from its consumer to the head of its queue, if it is still in processing. */
const RECLAIM = `if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1`;

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/** How a list message settles, on the reliable consumer that took it. */
interface ListSettler {
  /** Removes the message from the processing list (ack and reject). */
  remove(data: Uint8Array): Promise<void>;
  /** Returns the message to the head of its queue with its delivery count, after `delay` ms (nack). */
  requeue(data: Uint8Array, deliveries: number, delay: number): Promise<void>;
}

/**
 * A list message: until Redis took its settlement it stays in the processing list; the first settlement
 * wins. Without a settler (an unreliable consumer popped it for good) settling does nothing.
 */
class ListIncoming extends RedisIncoming {
  readonly raw: { readonly list: string; readonly data: Uint8Array };
  readonly #settler: ListSettler | undefined;
  #open = true;

  constructor(
    list: string,
    data: Uint8Array,
    fields: Fields,
    deliveries: number,
    settler: ListSettler | undefined,
  ) {
    super(list, fields, deliveries);
    this.raw = { list, data };
    this.#settler = settler;
  }

  ack(): Promise<void> {
    return this.#claim()?.remove(this.raw.data) ?? SETTLED;
  }
  reject(): Promise<void> {
    return this.#claim()?.remove(this.raw.data) ?? SETTLED;
  }
  nack(options?: { readonly delay?: number }): Promise<void> {
    return this.#claim()?.requeue(this.raw.data, this.deliveryCount, options?.delay ?? 0) ?? SETTLED;
  }

  /** The settler, for the first settlement only. */
  #claim(): ListSettler | undefined {
    if (!this.#open) return undefined;
    this.#open = false;
    return this.#settler;
  }
}

/** One list consumer with its own blocking connection. */
export class ListConsumer implements SubscriptionHandle {
  readonly #commands: Client;
  readonly #blocking: Client;
  readonly #key: string;
  readonly #processing: string;
  readonly #heartbeat: string;
  /** What the processing lists' and heartbeats' keys start with. */
  readonly #base: string;
  readonly #reliable: boolean;
  readonly #recoverAfter: number;
  readonly #window: DeliveryWindow;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #consumer: string;
  #loop: Promise<void> | undefined;
  #beat: ReturnType<typeof setInterval> | undefined;
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => Promise<void>>();
  /** The bytes of each message handed to the core and not yet settled (the reclaim compares them). */
  readonly #unsettled = new Set<Uint8Array>();
  /** The messages acked or rejected in this turn of the event loop, removed together on its check phase. */
  #removals: Uint8Array[] = [];
  /** The removal of `#removals`, once scheduled: what their settlements resolve with. */
  #removal: Promise<void> | undefined;
  /** How the messages of this consumer settle, shared by all of them. */
  readonly #settler: ListSettler = {
    remove: (data) => {
      this.#removals.push(data);
      this.#removal ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#remove());
      return this.#removal;
    },
    requeue: (data, deliveries, delay) => {
      const requeue = (): Promise<void> =>
        this.#settled(
          [data],
          this.#commands.eval(
            REQUEUE,
            2,
            this.#processing,
            this.#key,
            buffer(data),
            buffer(withDeliveryCount(data, deliveries)),
          ),
        );
      if (delay <= 0) return requeue();
      // The message waits in the processing list: if this process dies meanwhile it is recovered.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        requeue().catch((error) =>
          this.#logger.warn(`List ${this.#key}: could not return a message: ${describeError(error)}`)
        );
      }, delay);
      this.#timers.set(timer, requeue);
      return Promise.resolve();
    },
  };
  readonly #onReconnect = (): void => {
    this.#reclaim().catch((error) =>
      this.#logger.warn(`List ${this.#key}: could not reclaim cut-off messages: ${describeError(error)}`)
    );
  };

  constructor(
    commands: Client,
    blocking: Client,
    key: string,
    options: ListSubscribeOptions,
    prefetch: number,
    deliver: Deliver,
    logger: Logger,
  ) {
    this.#commands = commands;
    this.#blocking = blocking;
    this.#key = key;
    this.#consumer = options.consumer ?? crypto.randomUUID();
    // In a cluster the list's name is the hash tag of its processing lists and heartbeats, so that all of
    // them live in the list's slot, as BLMOVE and the recovery script need ({orders}:processing:<consumer>).
    // List names cannot hold a brace (see resolveSubscription), so the tag is always the whole name.
    this.#base = isCluster(commands) ? `{${key}}` : key;
    this.#processing = `${this.#base}:processing:${this.#consumer}`;
    this.#heartbeat = `${this.#base}:consumer:${this.#consumer}`;
    this.#reliable = options.reliable ?? true;
    this.#recoverAfter = options.recoverAfter ?? 15_000;
    this.#window = new DeliveryWindow(
      prefetch,
      (error) => logger.error(`Delivery failed on ${key}: ${describeError(error)}`),
    );
    this.#deliver = deliver;
    this.#logger = logger;
  }

  /** The processing list of this consumer. */
  get processing(): string {
    return this.#processing;
  }

  /** Starts the heartbeat, recovers dead consumers' messages (and its own, if it restarted), starts reading. */
  async start(): Promise<void> {
    if (this.#reliable) {
      // Our own processing list, left by an earlier run under the same consumer name, goes back first.
      await this.#commands.eval(RECOVER, 3, this.#processing, this.#key, `${this.#heartbeat}:none`);
      await this.#commands.set(this.#heartbeat, "1", "PX", this.#recoverAfter);
      await this.#recover();
      this.#beat = setInterval(() => {
        this.#commands.set(this.#heartbeat, "1", "PX", this.#recoverAfter)
          .then(() => this.#recover())
          .catch((error) =>
            this.#logger.warn(`List ${this.#key}: heartbeat failed: ${describeError(error)}`)
          );
      }, Math.max(100, Math.floor(this.#recoverAfter / 3)));
      events(this.#blocking).on("ready", this.#onReconnect);
    }
    this.#loop = this.#run();
  }

  /**
   * After the blocking connection came back: a move that Redis made while the connection went down (BLMOVE
   * run, its reply lost) left a message in this consumer's processing list that it never received, and no
   * other consumer recovers it while this one's heartbeat lives. Every message of the processing list that is
   * not unsettled here goes back to the head of the queue. A move whose reply is still on its way may be
   * returned too: then it comes twice (at least once), never not at all.
   */
  async #reclaim(): Promise<void> {
    const entries = await this.#commands.lrangeBuffer(this.#processing, 0, -1) as Uint8Array[];
    const held = new Map<string, number>();
    for (const data of this.#unsettled) {
      const key = buffer(data).toString("latin1");
      held.set(key, (held.get(key) ?? 0) + 1);
    }
    let returned = 0;
    for (const entry of entries) {
      const key = buffer(entry).toString("latin1");
      const count = held.get(key) ?? 0;
      if (count > 0) {
        held.set(key, count - 1);
        continue;
      }
      returned += await this.#commands.eval(RECLAIM, 2, this.#processing, this.#key, buffer(entry)) as number;
    }
    if (returned > 0) {
      this.#logger.warn(
        `List ${this.#key}: returned ${returned} message(s) moved while the connection was lost to the queue`,
      );
    }
  }

  /** Moves back the processing lists of consumers whose heartbeat expired. */
  async #recover(): Promise<void> {
    const prefix = `${this.#base}:processing:`;
    for (const processing of await scanKeys(this.#commands, `${escapeGlob(prefix)}*`)) {
      if (processing === this.#processing) continue;
      const consumer = processing.slice(prefix.length);
      const moved = await this.#commands.eval(
        RECOVER,
        3,
        processing,
        this.#key,
        `${this.#base}:consumer:${consumer}`,
      ) as number;
      if (moved > 0) {
        this.#logger.warn(
          `List ${this.#key}: recovered ${moved} message(s) left unsettled by dead consumer ${consumer}`,
        );
      }
    }
  }

  async #run(): Promise<void> {
    const window = this.#window;
    let failures = 0;
    while (!window.closed) {
      if (window.room === 0) {
        await window.whenRoom();
        continue;
      }
      try {
        const batch = await this.#take(window.room);
        failures = 0;
        for (const item of batch) this.#hand(bytes(item), 1);
      } catch (error) {
        if (window.closed) break;
        failures++;
        this.#logger.warn(`List ${this.#key}: read failed (${describeError(error)}); retrying`);
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  async #take(room: number): Promise<Uint8Array[]> {
    const client = this.#blocking;
    if (this.#reliable) {
      const first = await client.blmoveBuffer(this.#key, this.#processing, "LEFT", "RIGHT", 2) as
        | Uint8Array
        | null;
      if (!first) return [];
      if (room === 1) return [first];
      const more = await client.callBuffer(
        "EVAL",
        MOVE_MANY,
        2,
        this.#key,
        this.#processing,
        room - 1,
      ) as Uint8Array[];
      return [first, ...more];
    }
    const popped = await client.blpopBuffer(this.#key, 2) as [Uint8Array, Uint8Array] | null;
    if (!popped) return [];
    if (room === 1) return [popped[1]];
    const more = await client.lpopBuffer(this.#key, room - 1) as unknown as Uint8Array[] | null;
    return [popped[1], ...(more ?? [])];
  }

  #hand(raw: Uint8Array, count: number): void {
    const fields = readMessage(raw);
    if (this.#reliable) this.#unsettled.add(raw);
    const incoming = new ListIncoming(
      this.#key,
      raw,
      fields,
      Math.max(count, fields.deliveries + 1),
      this.#reliable ? this.#settler : undefined,
    );
    this.#window.hand(this.#deliver, incoming);
  }

  /** Removes the messages acked or rejected since the last removal: one `LREM`, or one script for several. */
  #remove(): Promise<void> {
    const batch = this.#removals;
    this.#removals = [];
    this.#removal = undefined;
    const work = batch.length === 1
      ? this.#commands.lrem(this.#processing, 1, buffer(batch[0]!))
      : this.#commands.eval(REMOVE_MANY, 1, this.#processing, ...batch.map(buffer));
    return this.#settled(batch, work);
  }

  /** Ends settlements: once Redis answered, the messages are no longer unsettled, whether Redis took them or not. */
  #settled(messages: readonly Uint8Array[], work: Promise<unknown>): Promise<void> {
    const forget = (): void => {
      for (const data of messages) this.#unsettled.delete(data);
    };
    return work.then(forget, (error) => {
      forget();
      throw error;
    });
  }

  /** Stops reading; unsettled messages stay in the processing list until the core settles them. */
  async stop(): Promise<void> {
    if (this.#window.closed) return;
    this.#window.close();
    this.#blocking.disconnect();
    await this.#loop?.catch(() => undefined);
  }

  /**
   * After every message settled: returns delayed nacks and anything left unsettled to the queue, stops the
   * heartbeat.
   */
  async close(): Promise<void> {
    await this.stop();
    // Acks still waiting for their turn go first: the recovery below would return those messages.
    await this.#removal?.catch(() => undefined);
    clearInterval(this.#beat);
    events(this.#blocking).off("ready", this.#onReconnect);
    const pending = [...this.#timers];
    this.#timers.clear();
    for (const [timer, requeue] of pending) {
      clearTimeout(timer);
      await requeue().catch(() => undefined);
    }
    if (!this.#reliable || this.#commands.status !== "ready") return;
    await this.#commands.eval(RECOVER, 3, this.#processing, this.#key, `${this.#heartbeat}:none`)
      .catch(() => undefined);
    await this.#commands.del(this.#heartbeat).catch(() => undefined);
  }
}
