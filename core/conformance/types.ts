/**
 * What a plugin hands the conformance suite: how to make its broker, what its broker can do, and the
 * test functions of the runner in use.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import type { BrokerOptions } from "../options.ts";

/**
 * What a broker can do that the suite asks of some brokers only. A case that needs a feature the broker
 * lacks is skipped by name, never silently.
 */
export interface Features {
  /** Subscriptions accept single-level wildcards, and so path parameters. */
  readonly wildcards: boolean;
  /** Subscribers in one `group` compete for messages: each message goes to one of them. */
  readonly groups: boolean;
  /** Subscribers without a group, or in different groups, each get every message. */
  readonly fanout: boolean;
  /** `nack()` returns a message to the broker, which delivers it again. */
  readonly redelivery: boolean;
}

/** The scenarios, named for `subscriberOptions` and `publishOptions`. */
export type Scenario =
  | "delivery"
  | "headers"
  | "groups"
  | "fanout"
  | "wildcards"
  | "request"
  | "ack"
  | "redelivery"
  | "reject"
  | "retry"
  | "dead-letter"
  | "batch"
  | "bad-input"
  | "filters"
  | "manual"
  | "window"
  | "stop"
  | "reply"
  | "key";

/** A broker to hold to the contract. */
export interface ConformanceTarget {
  /** Shown in test names: `kafka (real)`. */
  readonly name: string;
  /** Run against the real broker (`testBroker(broker, { real: true })`) rather than the emulation. */
  readonly real: boolean;
  /** What the broker can do. */
  readonly features: Features;
  /** A fresh broker, not started, with these options merged into the plugin's own. */
  createBroker(options: BrokerOptions): Broker;
  /** The plugin's subscriber options for a scenario, e.g. an exchange for wildcards. */
  subscriberOptions?(scenario: Scenario): Record<string, unknown>;
  /** The plugin's publish options for a scenario. */
  publishOptions?(scenario: Scenario): Record<string, unknown>;
  /**
   * The plugin's publish options that give a message the ordering key `key` (Kafka's `key`, SQS FIFO's
   * group). Without it the driver cases about keys are skipped.
   */
  keyOptions?(key: string): Record<string, unknown>;
  /** Milliseconds to wait for something to arrive; 5000 by default. */
  readonly timeout?: number;
}

/** Options of one test case, as `node:test` takes them. */
export interface CaseOptions {
  /** A reason to skip the case, or false. */
  readonly skip?: string | false;
}

/** The test functions of the runner in use: pass `node:test`'s `describe` and `it`. */
export interface TestFunctions {
  describe(name: string, fn: () => void): unknown;
  it(name: string, options: CaseOptions, fn: () => Promise<void>): unknown;
}
