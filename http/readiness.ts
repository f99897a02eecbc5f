/**
 * Readiness: whether the app should get traffic — started, not stopping, and every broker answering its
 * ping — with the reason when not, naming the broker.
 *
 * @module
 */

import type { App } from "@sluice/core";
import { describeError } from "@sluice/core/kit";

/** Where the app is in its life, as `/ready` reports it. */
export type AppPhase = "starting" | "started" | "draining" | "stopped";

/** One broker's part of the readiness. */
export interface BrokerReadiness {
  /** The broker kind: `redis`, `nats` … */
  readonly broker: string;
  /** Its URL, without credentials. */
  readonly url: string;
  readonly ready: boolean;
  /** Why not, when not. */
  readonly reason?: string;
}

/** What `/ready` answers. */
export interface ReadinessReport {
  /** `ready`, or the phase the app is in, or `unavailable` when a broker does not answer. */
  readonly status: "ready" | "starting" | "draining" | "stopped" | "unavailable";
  readonly ready: boolean;
  readonly brokers: readonly BrokerReadiness[];
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}

/**
 * Follows an app's lifecycle through its hooks and pings its brokers on demand. The phase goes `starting` →
 * `started` (after the app's after-startup hooks) → `draining` (as soon as `stop()` begins, before the
 * brokers stop consuming) → `stopped`.
 */
export class Readiness {
  readonly #app: App;
  readonly #timeout: number;
  #phase: AppPhase;

  /** Watches `app`; a ping that takes longer than `timeout` ms counts as failed. */
  constructor(app: App, timeout: number) {
    this.#app = app;
    this.#timeout = timeout;
    this.#phase = app.running ? "started" : "starting";
    app.onStartup(() => void (this.#phase = "starting"));
    app.afterStartup(() => void (this.#phase = "started"));
    app.onShutdown(() => void (this.#phase = "draining"));
    app.afterShutdown(() => void (this.#phase = "stopped"));
  }

  /** The phase; `draining` as soon as the app stops running, before its own shutdown hooks ran. */
  get phase(): AppPhase {
    if (this.#phase === "started" && !this.#app.running) return "draining";
    return this.#phase;
  }

  async #ping(broker: App["brokers"][number]): Promise<BrokerReadiness> {
    const name = broker.driver.name;
    const url = withoutCredentials(broker.driver.url);
    if (!broker.connected) return { broker: name, url, ready: false, reason: "not connected" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer to ping within ${this.#timeout} ms`), this.#timeout);
    });
    try {
      const failure = await Promise.race([
        broker.ping().then(() => undefined, (error) => `ping failed: ${describeError(error)}`),
        late,
      ]);
      return failure === undefined
        ? { broker: name, url, ready: true }
        : { broker: name, url, ready: false, reason: failure };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Checks every broker at once, and tells whether the app is ready. */
  async check(): Promise<ReadinessReport> {
    const phase = this.phase;
    const brokers = await Promise.all(this.#app.brokers.map((broker) => this.#ping(broker)));
    if (phase !== "started") return { status: phase, ready: false, brokers };
    const ready = brokers.every((b) => b.ready);
    return { status: ready ? "ready" : "unavailable", ready, brokers };
  }
}
