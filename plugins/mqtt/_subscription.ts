/**
 * One subscriber on one MQTT connection, so that each has its own session (a stable client id makes it
 * persistent) and its own flow control: MQTT 5's Receive Maximum is the subscriber's prefetch, and on 3.1.1
 * the client stops reading the socket while `prefetch` messages are unsettled.
 *
 * At-least-once: MQTT.js acknowledges (PUBACK, or PUBCOMP for QoS 2) as soon as a message is handled; here
 * that acknowledgement is held back until the core settles the message, and released in the order the
 * messages arrived, as MQTT requires. If the connection drops first, held acknowledgements are dropped: the
 * broker sends the message again to a persistent session.
 *
 * @module
 */

import type { MqttClient } from "mqtt";
import type { Deliver, Logger, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { ConnectionError } from "@sluice/core";
import { closeClient, openClient } from "./_client.ts";
import { handOver, type Outcome } from "./_delivery.ts";
import { resolveSubscription } from "./_spec.ts";
import { fromProperties, inferContentType, type MqttPacket } from "./message.ts";
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

  let unsettled = 0;
  let stopped = false;
  let generation = 0;
  const held = new Map<number, Held>();
  const order: Held[] = [];
  let waiting: (() => void)[] = [];
  let send: SendPacket = () => undefined;
  let client: MqttClient | undefined;
  let ended: Promise<void> | undefined;

  const end = (): Promise<void> => (ended ??= client ? closeClient(client) : Promise.resolve());

  const flush = (): void => {
    while (order.length > 0) {
      const head = order[0]!;
      if (head.generation !== generation) {
        order.shift();
        held.delete(head.id);
        continue;
      }
      if (!head.settled || (head.send && head.packet === undefined)) return;
      order.shift();
      held.delete(head.id);
      if (head.send && client?.connected) send(head.packet as { cmd: string });
    }
  };

  const release = (): void => {
    while (waiting.length > 0 && unsettled < prefetch) waiting.shift()!();
    if (stopped && unsettled === 0) void end();
  };

  const settle = (entry: Held | undefined, outcome: Outcome): void => {
    unsettled--;
    if (entry) {
      entry.settled = true;
      entry.send = outcome !== "abandon";
      flush();
    }
    release();
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
      original(packet, cb, ...rest);
    };
    // Back-pressure: the next packet is read only while fewer than `prefetch` messages are unsettled.
    (c as unknown as { handleMessage: (p: unknown, cb: () => void) => void }).handleMessage = (_p, cb) => {
      if (stopped || unsettled < prefetch) cb();
      else waiting.push(cb);
    };
    c.on("connect", () => {
      // A new connection: acknowledgements held for the old one are void (a persistent session resends).
      generation++;
      flush();
      const resume = waiting;
      waiting = [];
      for (const cb of resume) cb();
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
      unsettled++;
      const body = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      const fields = v5 ? fromProperties(p.properties) : { headers: {}, contentType: inferContentType(body) };
      const hooks = { settle: (outcome: Outcome) => settle(entry, outcome), live: () => !stopped };
      handOver(deliver, { channel: topic, body, ...fields, redelivered: p.dup, raw: packet }, hooks);
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
      for (const cb of waiting.splice(0)) cb();
      if (unsettled === 0) await end();
    },
    close: end,
  };
}
