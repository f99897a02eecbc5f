/**
 * One subscriber on one MQTT connection, so that each has its own session (a stable client id makes it
 * persistent) and its own flow control: MQTT 5's Receive Maximum is the subscriber's prefetch, and the client
 * stops reading the socket while the delivery window of `prefetch` messages is full (on 3.1.1, and for QoS 0,
 * that is the only bound).
 *
 * At-least-once: MQTT.js acknowledges (PUBACK, or PUBCOMP for QoS 2) as soon as a message is handled; here
 * that acknowledgement is held back until the core settles the message, and released in the order the
 * messages arrived, as MQTT requires, written as bytes of their own (`flush`). If the connection drops first,
 * held acknowledgements are dropped: the broker sends the message again to a persistent session.
 *
 * @module
 */

import type { MqttClient } from "mqtt";
import { Buffer } from "node:buffer";
import process from "node:process";
import type { Deliver, IncomingMessage, Logger, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { ConnectionError } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import { closeClient, openClient } from "./_client.ts";
import { handOver, type Outcome } from "./_delivery.ts";
import { resolveSubscription } from "./_spec.ts";
import { type DecodedFields, fromProperties, inferContentType, type MqttPacket } from "./message.ts";
import type { MqttSubscribeOptions, ResolvedOptions } from "./options.ts";

interface Held {
  readonly id: number;
  readonly generation: number;
  settled: boolean;
  send: boolean;
  packet?: unknown;
}

type SendPacket = (
  packet: { cmd: string; messageId?: number },
  cb?: (error?: Error) => void,
  ...rest: unknown[]
) => void;

let sequence = 0;

/** A subscription with its connection. */
export interface OwnSubscription extends SubscriptionHandle {
  /** Ends the connection now, whatever is still unsettled (the driver is closing). */
  close(): Promise<void>;
}

/** Subscribes `spec` on a connection of its own; resolves once the broker confirmed (SUBACK). */
export async function subscribeOwnConnection(
  options: ResolvedOptions,
  spec: SubscriptionSpec<MqttSubscribeOptions>,
  deliver: Deliver,
  logger: Logger,
): Promise<OwnSubscription> {
  const { mqtt, filter, qos, clean, prefetch } = resolveSubscription(options, spec);
  const v5 = options.protocolVersion === 5;
  const clientId = mqtt.clientId ??
    `${options.clientId ?? "sluice"}-sub-${++sequence}-${crypto.randomUUID().slice(0, 8)}`;
  const label = `subscriber ${spec.template}`;

  const window = new DeliveryWindow(
    prefetch,
    (error) => logger.error(`A message of ${spec.template} was not settled: ${describeError(error)}`),
  );
  const hand = (deliverTo: Deliver, message: IncomingMessage): void => window.hand(deliverTo, message);
  let stopped = false;
  const live = (): boolean => !stopped;
  let generation = 0;
  const held = new Map<number, Held>();
  const order: Held[] = [];
  // Reading callbacks of MQTT.js held while the window is full: the next packet is read when one is called.
  let waiting: (() => void)[] = [];
  let waitingRoom = false;
  let send: SendPacket = () => undefined;
  let client: MqttClient | undefined;
  let ended: Promise<void> | undefined;

  /** Acknowledgements' bytes released in this turn and not written yet (see `flush`). */
  let pending: number[] = [];
  let scheduled = false;

  /** Writes the acknowledgements released so far to the socket as one chunk. */
  const writePending = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const bytes = pending;
    pending = [];
    if (client?.connected) {
      (client.stream as unknown as { write(chunk: Uint8Array): boolean }).write(Buffer.from(bytes));
    }
  };

  const end = (): Promise<void> => {
    // What was released before the close goes out before it, not a tick later on a closed socket.
    writePending();
    return (ended ??= client ? closeClient(client) : Promise.resolve());
  };

  // The acknowledgements released in one turn go out as one chunk of their bytes, written on the next tick
  // (as MQTT.js's own writes are: `mqtt-packet` corks the socket until then), or at once before anything
  // else is sent and before the connection ends. MQTT.js writes each PUBACK as several small chunks, and
  // during a fast drain under Node 24 the socket wrote those chunks more slowly than the subscription released
  // them: the acknowledgements fell further behind, the broker went on delivering, and the waiting chunks held
  // the heap (`bench/mqtt/ack_backlog.ts`: 596 KB waiting at 153,000 messages; none with one chunk per
  // acknowledgement). Writing each settlement's chunk at once instead made a socket write per message even
  // when one turn settled several. Plain acknowledgements only (no reason code, no properties): others go
  // through MQTT.js, after the bytes released before them.
  const flush = (): void => {
    while (order.length > 0) {
      const head = order[0]!;
      if (head.generation !== generation) {
        order.shift();
        held.delete(head.id);
        continue;
      }
      if (!head.settled || (head.send && head.packet === undefined)) break;
      order.shift();
      held.delete(head.id);
      if (!head.send || !client?.connected) continue;
      const packet = head.packet as {
        cmd: string;
        messageId?: number;
        reasonCode?: number;
        properties?: unknown;
      };
      if (packet.messageId === undefined || packet.reasonCode || packet.properties !== undefined) {
        writePending();
        send(packet);
      } else {
        pending.push(
          packet.cmd === "pubcomp" ? 0x70 : 0x40,
          2,
          packet.messageId >> 8,
          packet.messageId & 0xff,
        );
      }
    }
    if (pending.length > 0 && !scheduled) {
      scheduled = true;
      process.nextTick(writePending);
    }
  };

  const resume = (): void => {
    waitingRoom = false;
    while (waiting.length > 0 && (stopped || window.room > 0)) waiting.shift()!();
    if (waiting.length > 0) wait();
  };

  const wait = (): void => {
    if (waitingRoom) return;
    waitingRoom = true;
    void window.whenRoom().then(resume);
  };

  const settle = (entry: Held | undefined, outcome: Outcome): void => {
    if (!entry) return;
    entry.settled = true;
    entry.send = outcome !== "abandon";
    flush();
  };

  const prepare = (c: MqttClient): void => {
    client = c;
    const internal = c as unknown as { _sendPacket: SendPacket };
    const original = internal._sendPacket.bind(c);
    send = original;
    internal._sendPacket = (packet, cb, ...rest) => {
      const entry = packet.messageId === undefined ? undefined : held.get(packet.messageId);
      if (entry && entry.packet === undefined && (packet.cmd === "puback" || packet.cmd === "pubcomp")) {
        entry.packet = packet;
        cb?.();
        flush();
        return;
      }
      // Anything else MQTT.js sends goes after the acknowledgements released before it.
      writePending();
      original(packet, cb, ...rest);
    };
    // Back-pressure: the next packet is read only while the window has room.
    (c as unknown as { handleMessage: (p: unknown, cb: () => void) => void }).handleMessage = (_p, cb) => {
      if (stopped || window.room > 0) cb();
      else {
        waiting.push(cb);
        wait();
      }
    };
    // A lost connection voids the acknowledgements held for it, and those released and not yet written: a
    // persistent session gets those messages again on the next. Counted when the connection closes, not when
    // the next one reports itself: MQTT.js emits "connect" only after replaying its outgoing store, a tick or
    // more after the CONNACK, and a resumed session's stored messages arrive in between — their
    // acknowledgements belong to the new connection.
    c.on("close", () => {
      pending = [];
      generation++;
      flush();
    });
    c.on("connect", () => {
      const old = waiting;
      waiting = [];
      for (const cb of old) cb();
    });
    c.on("message", (topic, payload, packet) => {
      const p = packet as unknown as MqttPacket;
      let entry: Held | undefined;
      if (p.qos > 0 && p.messageId !== undefined) {
        entry = { id: p.messageId, generation, settled: false, send: true };
        held.set(entry.id, entry);
        order.push(entry);
      }
      // Stopped: keep it unacknowledged, so a persistent session gets it again next time.
      if (stopped) return;
      const body = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      const fields: DecodedFields = v5
        ? fromProperties(p.properties)
        : { headers: {}, contentType: inferContentType(body) };
      const hooks = { settle: (outcome: Outcome) => settle(entry, outcome), live, hand };
      // Field by field rather than a spread, which showed in the consumer's profile.
      handOver(deliver, {
        channel: topic,
        body,
        headers: fields.headers,
        contentType: fields.contentType,
        correlationId: fields.correlationId,
        replyTo: fields.replyTo,
        messageId: fields.messageId,
        redelivered: p.dup,
        raw: packet,
      }, hooks);
    });
  };

  const opened = await openClient(
    options,
    {
      clientId,
      clean,
      receiveMaximum: prefetch,
      sessionExpiry: clean ? undefined : mqtt.sessionExpiry ?? 0xffff_ffff,
      label,
    },
    logger,
    prepare,
  );

  try {
    const granted = await opened.subscribeAsync(filter, {
      qos,
      ...(v5 ? { rh: mqtt.retainHandling ?? 0 } : {}),
    });
    const failed = granted.find((g) => g.qos === 128 || (g.qos as number) >= 0x80);
    if (failed) {
      throw new ConnectionError(
        `The broker at ${options.safeUrl} refused the subscription to ${filter} (reason ${failed.qos}): is this client allowed to read it?`,
      );
    }
  } catch (error) {
    await closeClient(opened, 500);
    if (error instanceof ConnectionError) throw error;
    throw new ConnectionError(
      `Cannot subscribe to ${filter} on ${options.safeUrl}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  logger.debug(`Subscribed to ${filter} with QoS ${qos}`, { clientId, clean });

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      // A clean session forgets the subscription; a persistent one keeps it so the broker stores what comes.
      if (clean && client?.connected) await client.unsubscribeAsync(filter).catch(() => undefined);
      window.close();
      for (const cb of waiting.splice(0)) cb();
      // The connection ends once the core settled what it holds (their acknowledgements go out first).
      const ending = window.whenDrained().then(end);
      if (window.open === 0) await ending;
    },
    close: end,
  };
}
