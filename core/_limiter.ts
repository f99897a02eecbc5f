/**
 * Bounds how many tasks run at once and, optionally, keeps tasks with the same key in order.
 *
 * @module
 */

import { SETTLED } from "./driver.ts";

/** A task waiting for a slot, and the settling of the promise its caller holds. */
interface Waiting<T> {
  readonly arg: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs at most `limit` tasks at once; tasks sharing a key run one after another, in arrival order. A task is
 * a function and its argument (not a closure), since one runs per message; a task that returns
 * {@linkcode SETTLED} ended synchronously and frees its slot at once.
 */
export class Limiter<T> {
  readonly #limit: number;
  readonly #task: (arg: T) => Promise<void>;
  #running = 0;
  // A queue read from `#head`: a driver's window of messages waits here when the concurrency is lower, and
  // Array.shift() would move every entry behind the first each time one leaves.
  #waiting: (Waiting<T> | undefined)[] = [];
  #head = 0;
  readonly #chains = new Map<string, Promise<void>>();
  #idle: (() => void)[] = [];
  readonly #done = (): void => this.#release();
  readonly #failed = (error: unknown): never => {
    this.#release();
    throw error;
  };

  constructor(limit: number, task: (arg: T) => Promise<void>) {
    this.#limit = limit;
    this.#task = task;
  }

  /** Tasks started and not yet finished, waiting ones included. */
  get open(): number {
    return this.#running + this.#waiting.length - this.#head + this.#chains.size;
  }

  /** Runs the task on `arg` when a slot is free (and, with a key, after earlier tasks of that key). */
  run(arg: T, key?: string): Promise<void> {
    if (key === undefined) return this.#slot(arg);
    const previous = this.#chains.get(key);
    const next = previous ? previous.then(() => this.#slot(arg)) : this.#slot(arg);
    this.#chains.set(key, next);
    return next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
      this.#checkIdle();
    });
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Resolves with `true` once nothing runs or waits, or with `false` after `timeout` ms. */
  async idleWithin(timeout: number): Promise<boolean> {
    if (this.open === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeout)));
    const idle = await Promise.race([this.idle().then(() => true), expired]);
    clearTimeout(timer);
    return idle;
  }

  #slot(arg: T): Promise<void> {
    if (this.#running < this.#limit) {
      this.#running++;
      const done = this.#task(arg);
      if (done !== SETTLED) return done.then(this.#done, this.#failed);
      this.#release();
      return SETTLED;
    }
    // One promise per waiting task, settled by the task's own reaction when it ends: no promise that waits
    // for the slot and then adopts the task's (two more promises and two more microtasks per message).
    return new Promise<void>((resolve, reject) => this.#waiting.push({ arg, resolve, reject }));
  }

  /**
   * Frees a slot: runs waiting tasks in it (it stays counted as running) while they end synchronously, until
   * one returns a promise to wait for or none waits. A loop, not a recursion, however many end at once.
   */
  #release(): void {
    for (;;) {
      const next = this.#next();
      if (!next) {
        this.#running--;
        break;
      }
      const done = this.#task(next.arg);
      if (done === SETTLED) {
        next.resolve();
        continue;
      }
      done.then(
        () => {
          this.#release();
          next.resolve();
        },
        (error) => {
          this.#release();
          next.reject(error);
        },
      );
      break;
    }
    if (this.#idle.length > 0) this.#checkIdle();
  }

  #next(): Waiting<T> | undefined {
    if (this.#head === this.#waiting.length) return undefined;
    const waiting = this.#waiting[this.#head];
    this.#waiting[this.#head++] = undefined;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
    return waiting;
  }

  #checkIdle(): void {
    if (this.open !== 0 || this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
