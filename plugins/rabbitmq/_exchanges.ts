/**
 * RabbitMQ's routing, in memory: exchanges of the four types with their bindings, the default exchange
 * that routes to the queue named by the routing key, and queues built on the core's MemoryQueue. The
 * emulation is made of this and nothing else.
 *
 * @module
 */

import type { MemoryQueue, StoredMessage } from "@sluice/core/kit";
import type { ExchangeType } from "./options.ts";
import {
  BUILT_IN_EXCHANGES,
  type ExchangeDeclaration,
  type QueueDeclaration,
  TopologyError,
} from "./_topology.ts";
import { topicMatches } from "./rules.ts";

/** A queue of the emulation. */
export interface EmulatedQueue {
  readonly name: string;
  readonly declaration: QueueDeclaration;
  readonly queue: MemoryQueue;
  consumers: number;
}

interface Binding {
  readonly queue: EmulatedQueue;
  readonly key: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

interface Exchange {
  readonly type: ExchangeType;
  readonly declaration?: ExchangeDeclaration;
  bindings: Binding[];
}

/** The `x-match` values RabbitMQ accepts on a headers-exchange binding. */
const X_MATCH = ["all", "any", "all-with-x", "any-with-x"];

/**
 * Throws the {@linkcode TopologyError} RabbitMQ's refusal becomes unless `args` are valid headers-exchange
 * binding arguments: `x-match`, when given, is one of `all`, `any`, `all-with-x`, `any-with-x` (a string,
 * exactly; `ALL` or a number is refused).
 */
export function checkHeadersBinding(
  queue: string,
  exchange: string,
  args: Readonly<Record<string, unknown>>,
): void {
  const mode = args["x-match"];
  if (mode === undefined || (typeof mode === "string" && X_MATCH.includes(mode))) return;
  throw new TopologyError(
    `RabbitMQ refused binding ${queue} to ${exchange} (PRECONDITION_FAILED - invalid x-match field ` +
      `${JSON.stringify(mode)}): use "all", "any", "all-with-x" or "any-with-x"`,
  );
}

/**
 * Whether a headers-exchange binding matches a message's headers, as RabbitMQ decides: `x-match` `all` (the
 * default) or `any` over the binding's arguments, leaving out those whose name starts with `x-`; `all-with-x`
 * and `any-with-x` count those too (only `x-match` itself is always left out). An argument without a value
 * (`null`) asks only that the header is present; a value matches only the same value of the same type (a
 * number never matches a header, which is always a string here).
 */
export function headersMatch(
  args: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>>,
): boolean {
  const mode = args["x-match"];
  const withX = mode === "all-with-x" || mode === "any-with-x";
  const any = mode === "any" || mode === "any-with-x";
  const wanted = Object.entries(args).filter(([name]) =>
    name !== "x-match" && (withX || !name.startsWith("x-"))
  );
  const matches = ([name, value]: [string, unknown]): boolean =>
    Object.hasOwn(headers, name) && (value === undefined || value === null || headers[name] === value);
  return any ? wanted.some(matches) : wanted.every(matches);
}

function routes(
  type: ExchangeType,
  binding: Binding,
  routingKey: string,
  headers: Record<string, string>,
): boolean {
  switch (type) {
    case "fanout":
      return true;
    case "direct":
      return binding.key === routingKey;
    case "topic":
      return topicMatches(binding.key, routingKey);
    case "headers":
      return headersMatch(binding.arguments, headers);
  }
}

/** The exchanges and queues of one emulated broker. */
export class Exchanges {
  readonly #exchanges = new Map<string, Exchange>();
  readonly #queues = new Map<string, EmulatedQueue>();

  constructor() {
    for (const [name, type] of BUILT_IN_EXCHANGES) this.#exchanges.set(name, { type, bindings: [] });
  }

  /** Declares (or checks) an exchange, refusing one that exists with another type, as RabbitMQ does. */
  declareExchange(declaration: ExchangeDeclaration): void {
    if (declaration.builtIn) return;
    const existing = this.#exchanges.get(declaration.name);
    if (declaration.passive) {
      if (!existing) {
        throw new TopologyError(
          `RabbitMQ refused the exchange ${declaration.name} (NOT_FOUND - no exchange '${declaration.name}'): ` +
            `it does not exist; declare it, or drop passive`,
        );
      }
      return;
    }
    if (existing) {
      const old = existing.declaration;
      if (existing.type !== declaration.type || (old && old.durable !== declaration.durable)) {
        throw new TopologyError(
          `RabbitMQ refused the exchange ${declaration.name} (PRECONDITION_FAILED - inequivalent arg): it exists ` +
            `with other settings; declare it with the same type, durability and arguments`,
        );
      }
      return;
    }
    this.#exchanges.set(declaration.name, { type: declaration.type, declaration, bindings: [] });
  }

  /** The queue named `name`, if declared. */
  queue(name: string): EmulatedQueue | undefined {
    return this.#queues.get(name);
  }

  /** Adds a queue (the emulation makes the MemoryQueue). */
  addQueue(queue: EmulatedQueue): void {
    this.#queues.set(queue.name, queue);
  }

  /** Deletes a queue and its bindings. */
  deleteQueue(queue: EmulatedQueue): void {
    this.#queues.delete(queue.name);
    for (const exchange of this.#exchanges.values()) {
      exchange.bindings = exchange.bindings.filter((b) => b.queue !== queue);
    }
    queue.queue.dispose();
  }

  /** Binds a queue to an exchange (idempotent, as in RabbitMQ). */
  bind(
    queue: EmulatedQueue,
    exchangeName: string,
    key: string,
    args: Readonly<Record<string, unknown>>,
  ): void {
    const exchange = this.#exchanges.get(exchangeName);
    if (!exchange) {
      throw new TopologyError(
        `RabbitMQ refused binding ${queue.name} to ${exchangeName} with key "${key}" ` +
          `(NOT_FOUND - no exchange '${exchangeName}'): it does not exist; declare it, or drop passive`,
      );
    }
    if (exchange.type === "headers") checkHeadersBinding(queue.name, exchangeName, args);
    const same = exchange.bindings.some((b) =>
      b.queue === queue && b.key === key && JSON.stringify(b.arguments) === JSON.stringify(args)
    );
    if (!same) exchange.bindings.push({ queue, key, arguments: args });
  }

  /**
   * The queues a message reaches, each once, as RabbitMQ routes it. Throws for an unknown exchange (RabbitMQ
   * closes the channel with NOT_FOUND).
   */
  route(exchangeName: string, routingKey: string, headers: Record<string, string>): EmulatedQueue[] {
    if (exchangeName === "") {
      const queue = this.#queues.get(routingKey);
      return queue ? [queue] : [];
    }
    const exchange = this.#exchanges.get(exchangeName);
    if (!exchange) {
      throw new TopologyError(
        `RabbitMQ refused the publish: NOT_FOUND - no exchange '${exchangeName}' in vhost`,
      );
    }
    const found = new Set<EmulatedQueue>();
    for (const binding of exchange.bindings) {
      if (routes(exchange.type, binding, routingKey, headers)) found.add(binding.queue);
    }
    return [...found];
  }

  /** Every queue, for close(). */
  queues(): EmulatedQueue[] {
    return [...this.#queues.values()];
  }
}

/** A stored message with the exchange it was published to, as the emulation keeps it. */
export type EmulatedMessage = StoredMessage & { readonly raw: { readonly exchange: string } };
