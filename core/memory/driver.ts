/**
 * The in-memory broker (`memory://`): NATS-like subjects with `*` and `>` wildcards, queue groups
 * (competing consumers), fan-out, acknowledgement and redelivery. The demo runs on it, and it is the
 * emulation of any plugin without one of its own.
 *
 * @module
 */

import { memoryRules } from "../channel.ts";
import type { Emulation, NoOptions, OutgoingMessage, RoutingRules, SubscriptionHandle } from "../driver.ts";
import { StateError } from "../errors.ts";
import { CORE_SUBSCRIBER_OPTIONS } from "../options.ts";
import { CORE_PUBLISH_OPTIONS } from "../publish_options.ts";
import { optionsSchema, parseOptions } from "../kit/options.ts";
import { Activity } from "./activity.ts";
import { MemoryQueue, storedMessage } from "./queue.ts";

/** Options of the in-memory driver. */
export interface MemoryDriverOptions {
  /** How channels are named and matched; NATS-style by default. A plugin passes its own to emulate its broker. */
  readonly rules?: RoutingRules;
  /** The driver's name in logs; `memory` by default. */
  readonly name?: string;
}

/**
 * The in-memory driver: it is its own emulation, and any plugin's emulation where the plugin has none of its
 * own. It has no options beyond the core's.
 */
export type MemoryDriver = Emulation<NoOptions, NoOptions>;

const RESOLVED: Promise<void> = Promise.resolve();

/** The memory broker has no options of its own: anything beside the core's is a mistake, named at once. */
const NONE = {
  "~standard": { version: 1, vendor: "sluice", validate: (value: unknown) => ({ value }) },
} as const;
const subscribeOptions = optionsSchema({
  what: "memory subscriber",
  keys: [],
  schema: NONE,
  core: CORE_SUBSCRIBER_OPTIONS,
});
const publishOptions = optionsSchema({
  what: "memory publish",
  keys: [],
  schema: NONE,
  core: CORE_PUBLISH_OPTIONS,
});

function hasAny(options: object): boolean {
  for (const _ in options) return true;
  return false;
}

interface Binding {
  readonly pattern: string;
  readonly queue: MemoryQueue;
}

/**
 * Creates an in-memory driver. Each subscriber without a group gets its own queue; subscribers sharing a
 * group and a pattern share one queue and compete. A message published where nobody listens is dropped,
 * as on NATS. Options beside the core's are refused with a "did you mean" error, unless `ignoreOptions`
 * (the emulation of a plugin without its own, whose options mean nothing here).
 */
export function memoryDriver(
  options: MemoryDriverOptions = {},
  { ignoreOptions = false }: { readonly ignoreOptions?: boolean } = {},
): MemoryDriver {
  const rules = options.rules ?? memoryRules;
  const activity = new Activity();
  const bindings = new Map<string, Binding>();
  // The bindings as an array too: routing iterates them on every publish.
  let routes: Binding[] = [];
  let connected = false;
  let ids = 0;

  const route = (channel: string, message: OutgoingMessage): void => {
    const stored = storedMessage(channel, message);
    for (const binding of routes) {
      if (rules.matches(binding.pattern, channel)) binding.queue.push(stored);
    }
  };

  const assertConnected = (): void => {
    if (!connected) throw new StateError("The in-memory broker is not connected");
  };

  const driver: MemoryDriver = {
    name: options.name ?? "memory",
    url: "memory://",
    rules,
    matches: (pattern, channel) => rules.matches(pattern, channel),
    connect() {
      connected = true;
      return RESOLVED;
    },
    close() {
      connected = false;
      for (const binding of bindings.values()) binding.queue.dispose();
      bindings.clear();
      routes = [];
      return RESOLVED;
    },
    subscribe(spec, deliver): Promise<SubscriptionHandle> {
      assertConnected();
      if (!ignoreOptions && hasAny(spec.options)) parseOptions(subscribeOptions, spec.options, spec.template);
      const key = spec.group === undefined ? `#${++ids}` : `${spec.group}\u0000${spec.channel}`;
      let binding = bindings.get(key);
      if (!binding) {
        binding = { pattern: spec.channel, queue: new MemoryQueue(key, { activity }) };
        bindings.set(key, binding);
        routes = [...bindings.values()];
      }
      const { queue } = binding;
      const cancel = queue.consume(spec.prefetch, deliver);
      return Promise.resolve({
        stop() {
          cancel();
          if (queue.consumers === 0) {
            bindings.delete(key);
            routes = [...bindings.values()];
            queue.dispose();
          }
          return RESOLVED;
        },
      });
    },
    publish(channel, message, options) {
      assertConnected();
      if (!ignoreOptions && hasAny(options)) parseOptions(publishOptions, options, channel);
      route(channel, message);
      return RESOLVED;
    },
    publishBatch(channel, messages, options) {
      assertConnected();
      if (!ignoreOptions && hasAny(options)) parseOptions(publishOptions, options, channel);
      for (const message of messages) route(channel, message);
      return RESOLVED;
    },
    ping() {
      assertConnected();
      return RESOLVED;
    },
    idle: () => activity.whenIdle(),
  };
  return driver;
}
