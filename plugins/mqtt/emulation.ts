/**
 * The in-memory emulation of an MQTT broker for `testBroker()`: topic filters matched exactly as the MQTT
 * specification defines them, retained messages delivered on subscribe, shared subscriptions
 * (`$share/<group>/…`) splitting the load, QoS downgraded to the subscription's, and persistent sessions
 * (`clientId` + `clean: false`) that store QoS 1/2 messages while their subscriber is away. Each subscriber is
 * a session of its own, as with the real driver.
 *
 * @module
 */

import {
  type Deliver,
  type Emulation,
  EmulationLimitError,
  type IncomingMessage,
  type OutgoingMessage,
  StateError,
  type SubscriptionHandle,
} from "@sluice/core";
import { Activity, MemoryQueue, type StoredMessage, storedMessage } from "@sluice/core/kit";
import { handOver, type Outcome } from "./_delivery.ts";
import { resolveSubscription } from "./_spec.ts";
import { carriableOn5 } from "./_strings.ts";
import { assertCarriableOn311, inferContentType, type MqttPacket } from "./message.ts";
import {
  type MqttOptions,
  type MqttPublishOptions,
  type MqttSubscribeOptions,
  parsePublishOptions,
  type QoS,
  resolveOptions,
} from "./options.ts";
import { assertTopic, mqttRules, splitShared, topicMatches } from "./rules.ts";

interface Session {
  readonly clientId: string | undefined;
  readonly filter: string;
  readonly qos: QoS;
  persistent: boolean;
  online: boolean;
  readonly queue: MemoryQueue;
}

interface SharedGroup {
  readonly filter: string;
  readonly qos: QoS;
  readonly queue: MemoryQueue;
}

/**
 * The state of an emulated broker: retained messages and sessions. A broker keeps one for all its
 * `testBroker()` runs; pass one as `emulator` to several brokers to let them talk, as apps on one broker do.
 *
 * @example
 * ```ts
 * import { mqtt, MqttEmulator } from "@sluice/mqtt";
 * const emulator = new MqttEmulator();
 * const app = mqtt({ emulator });
 * const other = mqtt({ emulator });
 * ```
 */
export class MqttEmulator {
  /** @internal */
  readonly activity: Activity = new Activity();
  /** @internal */
  readonly retained: Map<string, StoredMessage & { qos: QoS }> = new Map();
  /** @internal */
  readonly sessions: Set<Session> = new Set();
  /** @internal */
  readonly shared: Map<string, SharedGroup> = new Map();
  /** What losing the publishing connection of each connected client does, by client id. @internal */
  readonly connections: Map<string, () => void> = new Map();
  #ids = 0;

  /**
   * Simulates losing the publishing connection of the client `clientId` (its broker option `clientId`)
   * without a DISCONNECT: the broker publishes its will. Returns whether such a client is connected.
   */
  loseConnection(clientId: string): boolean {
    const lose = this.connections.get(clientId);
    lose?.();
    return lose !== undefined;
  }

  /** Names a queue. @internal */
  nextName(prefix: string): string {
    return `${prefix}#${++this.#ids}`;
  }

  /** Routes a published message to every matching session and shared group. @internal */
  route(message: StoredMessage, qos: QoS, retain: boolean): void {
    const topic = message.channel;
    if (retain) {
      if (message.body.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, { ...message, qos });
    }
    for (const session of this.sessions) {
      if (!topicMatches(session.filter, topic)) continue;
      const effective = Math.min(qos, session.qos) as QoS;
      // A session that is away stores QoS 1 and 2 messages only.
      if (!session.online && effective === 0) continue;
      session.queue.push(withPacket(message, effective, false));
    }
    for (const group of this.shared.values()) {
      if (topicMatches(group.filter, topic)) {
        group.queue.push(withPacket(message, Math.min(qos, group.qos) as QoS, false));
      }
    }
  }

  /** Forgets every session and retained message. */
  reset(): void {
    for (const session of this.sessions) session.queue.dispose();
    for (const group of this.shared.values()) group.queue.dispose();
    this.sessions.clear();
    this.shared.clear();
    this.retained.clear();
  }
}

function withPacket(message: StoredMessage, qos: QoS, retain: boolean): StoredMessage {
  const packet: MqttPacket = { topic: message.channel, payload: message.body, qos, retain, dup: false };
  return { ...message, raw: packet };
}

/**
 * The emulation driver: one app's connections to an {@linkcode MqttEmulator}. `idle()` resolves once nothing
 * is queued for a subscriber, unsettled, or waiting for a redelivery.
 */
export interface MqttEmulation extends Emulation<MqttSubscribeOptions, MqttPublishOptions> {
  /** The MQTT version it speaks, as the driver's: 4 (3.1.1) or 5. */
  readonly protocolVersion: 4 | 5;
  /** The emulated broker it is connected to. */
  readonly emulator: MqttEmulator;
  /** Simulates losing the publishing connection without a DISCONNECT: the broker publishes the will. */
  loseConnection(): void;
}

/** Hands a message to the core; one the core failed to take is handed over again, as the queue would. */
function hand(deliver: Deliver, message: IncomingMessage): void {
  deliver(message).catch(() => message.nack());
}

/**
 * Creates an emulation driver on `emulator` (a fresh emulated broker by default) with the same options, and
 * the same checks, as the real driver.
 *
 * @example
 * ```ts
 * import { MqttEmulator, mqttEmulation } from "@sluice/mqtt";
 * const broker = new MqttEmulator();
 * const app = mqttEmulation({ qos: 1 }, broker);
 * const other = mqttEmulation({}, broker); // sees what app publishes
 * ```
 */
export function mqttEmulation(
  options: MqttOptions = {},
  emulator: MqttEmulator = new MqttEmulator(),
): MqttEmulation {
  const resolved = resolveOptions(options);
  const v5 = resolved.protocolVersion === 5;
  const clientId = resolved.clientId ?? `sluice-${crypto.randomUUID().slice(0, 13)}`;
  let connected = false;
  const handles = new Set<SubscriptionHandle & { drop(): void }>();

  const assertConnected = (): void => {
    if (!connected) throw new StateError(`Not connected to the emulated ${resolved.safeUrl}`);
  };

  const emulation: MqttEmulation = {
    protocolVersion: resolved.protocolVersion,
    name: "mqtt",
    url: resolved.safeUrl,
    rules: mqttRules,
    matches: (pattern, channel) => mqttRules.matches(pattern, channel),
    emulator,
    connect() {
      connected = true;
      emulator.connections.set(clientId, () => emulation.loseConnection());
      return Promise.resolve();
    },
    async close() {
      const all = [...handles];
      await Promise.all(all.map((h) => h.stop()));
      for (const handle of all) handle.drop();
      handles.clear();
      connected = false;
      emulator.connections.delete(clientId);
    },
    subscribe(spec, deliver): Promise<SubscriptionHandle> {
      assertConnected();
      const { mqtt, filter, qos, clean, prefetch } = resolveSubscription(resolved, spec);
      const { group, filter: plain } = splitShared(filter);
      if (group !== undefined && plain.startsWith("$")) {
        // Mosquitto delivers nothing to a shared subscription on a `$` topic; the specification does not
        // say, and other brokers deliver: refuse rather than pick one broker's answer.
        throw new EmulationLimitError(
          "mqtt",
          `a shared subscription (group "${group}") on the $ topic filter "${plain}"`,
          "brokers differ on whether it matches topics starting with $ (Mosquitto delivers nothing to it)",
        );
      }
      let queue: MemoryQueue;
      let session: Session | undefined;
      let sharedKey: string | undefined;
      if (group !== undefined) {
        sharedKey = `${group}\u0000${plain}`;
        let entry = emulator.shared.get(sharedKey);
        if (!entry) {
          entry = {
            filter: plain,
            qos,
            queue: new MemoryQueue(emulator.nextName(filter), { activity: emulator.activity }),
          };
          emulator.shared.set(sharedKey, entry);
        }
        queue = entry.queue;
      } else {
        const previous = mqtt.clientId === undefined
          ? undefined
          : [...emulator.sessions].find((s) => s.clientId === mqtt.clientId);
        const resumed = previous !== undefined && !clean && previous.persistent && previous.filter === plain;
        if (previous && !resumed) {
          emulator.sessions.delete(previous);
          previous.queue.dispose();
        }
        session = resumed ? previous : {
          clientId: mqtt.clientId,
          filter: plain,
          qos,
          persistent: !clean,
          online: true,
          queue: new MemoryQueue(emulator.nextName(filter), { activity: emulator.activity }),
        };
        session.online = true;
        emulator.sessions.add(session);
        queue = session.queue;
        const handling = mqtt.retainHandling ?? 0;
        if (handling === 0 || (handling === 1 && !resumed)) {
          for (const retained of emulator.retained.values()) {
            if (topicMatches(plain, retained.channel)) {
              queue.push(withPacket(retained, Math.min(retained.qos, qos) as QoS, true));
            }
          }
        }
      }
      let stopped = false;
      const open = new Set<(outcome: Outcome) => void>();
      const cancel = queue.consume(prefetch, (incoming) =>
        new Promise<void>((resolve) => {
          const packet = incoming.raw as MqttPacket;
          const fields = v5
            ? {
              headers: incoming.headers,
              contentType: incoming.contentType,
              correlationId: incoming.correlationId,
              replyTo: incoming.replyTo,
              messageId: incoming.messageId,
            }
            : { headers: {}, contentType: inferContentType(incoming.body) };
          let done = false;
          const settle = (outcome: Outcome): void => {
            if (done) return;
            done = true;
            open.delete(settle);
            // MQTT has no reject: either way the message is acknowledged. Abandoned ones stay for the session.
            if (outcome === "abandon") void incoming.nack();
            else void incoming.ack();
            resolve();
          };
          open.add(settle);
          const raw: MqttPacket = { ...packet, dup: incoming.redelivered === true };
          handOver(deliver, {
            channel: incoming.channel,
            body: incoming.body,
            ...fields,
            redelivered: raw.dup,
            raw,
          }, {
            settle,
            live: () => !stopped,
            hand,
          });
        }));
      const handle: SubscriptionHandle & { drop(): void } = {
        // The connection ends with messages unsettled: their acknowledgements never reach the broker.
        drop() {
          for (const settle of [...open]) settle("abandon");
        },
        stop() {
          if (stopped) return Promise.resolve();
          stopped = true;
          cancel();
          if (sharedKey !== undefined) {
            if (queue.consumers === 0) {
              emulator.shared.delete(sharedKey);
              queue.dispose();
            }
          } else if (session) {
            session.online = false;
            if (!session.persistent) {
              emulator.sessions.delete(session);
              queue.dispose();
            }
          }
          return Promise.resolve();
        },
      };
      handles.add(handle);
      return Promise.resolve(handle);
    },
    publish(channel: string, message: OutgoingMessage, raw) {
      assertConnected();
      assertTopic(channel);
      const pub = parsePublishOptions(raw, channel);
      if (pub.messageExpiry !== undefined) {
        throw new EmulationLimitError(
          "mqtt",
          `the publish option messageExpiry (of a message to ${channel})`,
          "nothing expires in memory",
        );
      }
      if (!v5) assertCarriableOn311(channel, message, pub);
      const stored: StoredMessage = v5
        ? storedMessage(channel, carriableOn5(channel, message))
        : { channel, body: message.body, headers: {} };
      emulator.route(stored, pub.qos ?? resolved.qos, pub.retain ?? false);
      return Promise.resolve();
    },
    ping() {
      assertConnected();
      return Promise.resolve();
    },
    loseConnection() {
      const will = resolved.will;
      if (!connected || !will) return;
      const body = typeof will.payload === "string" ? new TextEncoder().encode(will.payload) : will.payload;
      const contentType = will.contentType ??
        (typeof will.payload === "string" ? "text/plain" : "application/octet-stream");
      const stored: StoredMessage = v5
        ? { channel: will.topic, body, headers: {}, contentType }
        : { channel: will.topic, body, headers: {} };
      emulator.route(stored, will.qos ?? 1, will.retain ?? false);
    },
    idle: () => emulator.activity.whenIdle(),
  };
  return emulation;
}
