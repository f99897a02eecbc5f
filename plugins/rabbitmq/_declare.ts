/**
 * Declarations on a real channel: exchanges, queues and bindings from a plan, declared or (passive) only
 * checked. amqplib's refusals become {@linkcode TopologyError}s that say what to change.
 *
 * @module
 */

import { describeError } from "@sluice/core/kit";
import type { Channel } from "amqplib";
import type { Topology } from "./options.ts";
import {
  type ExchangeDeclaration,
  exchangeDeclaration,
  type QueueDeclaration,
  queueDeclaration,
  TopologyError,
} from "./_topology.ts";

/** A declaration error names the thing; a failed declaration also closes its channel. */
function refused(what: string, error: unknown): TopologyError {
  const text = describeError(error);
  let hint = "";
  if (/NOT_FOUND/.test(text)) hint = ": it does not exist; declare it, or drop passive";
  else if (/PRECONDITION_FAILED/.test(text)) {
    hint = ": it exists with other settings; declare it with the same type, durability and arguments";
  } else if (/RESOURCE_LOCKED/.test(text)) hint = ": another connection holds it exclusively";
  else if (/ACCESS_REFUSED/.test(text)) hint = ": the user may not configure it";
  return new TopologyError(`RabbitMQ refused ${what} (${text})${hint}`, { cause: error });
}

/** Declares (or checks) an exchange; built-in ones are left alone. */
export async function declareExchange(channel: Channel, exchange: ExchangeDeclaration): Promise<void> {
  if (exchange.builtIn) return;
  try {
    if (exchange.passive) await channel.checkExchange(exchange.name);
    else {
      await channel.assertExchange(exchange.name, exchange.type, {
        durable: exchange.durable,
        autoDelete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: exchange.arguments,
      });
    }
  } catch (error) {
    throw refused(`the exchange ${exchange.name}`, error);
  }
}

/** Declares (or checks) a queue; returns its name (the server's choice for a server-named queue). */
export async function declareQueue(channel: Channel, queue: QueueDeclaration): Promise<string> {
  try {
    if (queue.passive && queue.name !== "") return (await channel.checkQueue(queue.name)).queue;
    const reply = await channel.assertQueue(queue.name, {
      durable: queue.durable,
      exclusive: queue.exclusive,
      autoDelete: queue.autoDelete,
      arguments: queue.arguments,
    });
    return reply.queue;
  } catch (error) {
    throw refused(`the queue ${queue.name || "(server-named)"}`, error);
  }
}

/** Binds a queue to an exchange. */
export async function bindQueue(
  channel: Channel,
  queue: string,
  exchange: string,
  key: string,
  args: Record<string, unknown>,
): Promise<void> {
  try {
    await channel.bindQueue(queue, exchange, key, args);
  } catch (error) {
    throw refused(`binding ${queue} to ${exchange} with key "${key}"`, error);
  }
}

/** Declares a whole topology on a channel of its own: exchanges, then queues, then bindings. */
export async function declareTopology(
  open: () => Promise<Channel>,
  topology: Topology,
  passive: boolean,
): Promise<void> {
  const channel = await open();
  channel.on("error", () => undefined);
  try {
    for (const exchange of topology.exchanges ?? []) {
      await declareExchange(channel, exchangeDeclaration(exchange, passive));
    }
    for (const queue of topology.queues ?? []) await declareQueue(channel, queueDeclaration(queue, passive));
    if (passive) return;
    for (const binding of topology.bindings ?? []) {
      await bindQueue(channel, binding.queue, binding.exchange, binding.routingKey ?? "", {
        ...binding.arguments,
      });
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
}
