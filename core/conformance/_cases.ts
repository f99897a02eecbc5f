/**
 * What the broker cases share: the schemas they validate with (written by hand, since the core imports no
 * validator) and the setup of one case.
 *
 * @module
 */

import type { BrokerOptions } from "../options.ts";
import { createLogger } from "../logger.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import { captureLogs, testBroker } from "../testing/mod.ts";
import { unique } from "./_assert.ts";
import type { ConformanceTarget, Features, Scenario } from "./types.ts";

/** A schema of `{ id: integer, item: string }`, written by hand: the core imports no validator. */
export const Order: StandardSchemaV1<unknown, { id: number; item: string }> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate(value) {
      const order = value as { id?: unknown; item?: unknown } | null;
      if (typeof order !== "object" || order === null) return { issues: [{ message: "must be an object" }] };
      if (!Number.isInteger(order.id)) {
        return { issues: [{ message: "must be an integer number", path: ["id"] }] };
      }
      if (typeof order.item !== "string") {
        return { issues: [{ message: "must be a string", path: ["item"] }] };
      }
      return { value: { id: order.id as number, item: order.item } };
    },
  },
};

/** A schema of any number. */
export const Num: StandardSchemaV1<unknown, number> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate: (value) =>
      typeof value === "number" ? { value } : { issues: [{ message: "must be a number" }] },
  },
};

/** A schema of `{ doubled: number }`. */
export const Doubled: StandardSchemaV1<unknown, { doubled: number }> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate: (value) =>
      typeof (value as { doubled?: unknown })?.doubled === "number"
        ? { value: value as { doubled: number } }
        : { issues: [{ message: "must have a number doubled" }] },
  },
};

/** Sets up one case: a fresh broker with captured logs, unique channels, and the target's options. */
export function caseSetup(target: ConformanceTarget, scenario: Scenario) {
  const logs = captureLogs();
  const options: BrokerOptions = { logger: createLogger({ level: "debug", sink: logs.sink }) };
  const broker = target.createBroker(options);
  const sep = broker.driver.rules.separator;
  const prefix = unique();
  const channel = (...parts: string[]): string => [prefix, ...parts].join(sep);
  const sub = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...target.subscriberOptions?.(scenario),
    ...extra,
  });
  const pub = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...target.publishOptions?.(scenario),
    ...extra,
  });
  return { logs, broker, channel, sub, pub, sep, start: () => testBroker(broker, { real: target.real }) };
}

/** The reason to skip a case that needs `feature`, or false. */
export function needs(target: ConformanceTarget, feature: keyof Features): false | string {
  return target.features[feature] ? false : `the broker has no ${feature}`;
}
