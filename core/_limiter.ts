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

/** How a {@linkcode Limiter} learns that a task which returned a promise has ended. */
export interface LimiterOptions {
  /**
   * `false` (the default): the limiter waits for the task's promise, one reaction of its own per task. `true`:
   * the task calls {@linkcode Limiter.end} once, as its promise settles (in the reaction that settles it), and
   * the limiter adds nothing to it: a consumer's pipeline frees its slot in the reaction it runs anyway, which
   * saves a promise and a microtask a message behind an async handler — under Bun three quarters of the core's
   * cost there (`bench/memory/consume.ts`, `-async`: 1.20–1.25 → 1.04–1.05 of the raw loop's CPU).
   */
  readonly tasksEnd?: boolean;
}

/**
 * Runs at most `limit` tasks at once; tasks sharing a key run one after another, in arrival order. A task is
 * a function and its argument (not a closure), since one runs per message; a task that returns
 * {@linkcode SETTLED} ended synchronously and frees its slot at once.
 */
export class Limiter<T> {
  readonly #limit: number;
  readonly #task: (arg: T) => Promise<void>;
  readonly #tasksEnd: boolean;
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

  constructor(limit: number, task: (arg: T) => Promise<void>, options: LimiterOptions = {}) {
    this.#limit = limit;
    this.#task = task;
    this.#tasksEnd = options.tasksEnd ?? false;
  }

  /**
   * Frees the slot of a task that returned a promise, with `tasksEnd`: called by the task once, as its promise
   * settles, never by a task that returned {@linkcode SETTLED}.
   */
  readonly end = (): void => this.#taskEnded();
  readonly #endFailing = (error: unknown): never => {
    this.#taskEnded();
    throw error;
  };

  /** With `tasksEnd`, where a task is not in a reaction: SETTLED as it is, or `done` and then the slot freed. */
  endAfter(done: Promise<void>): Promise<void> {
    return done === SETTLED ? SETTLED : done.then(this.end, this.#endFailing);
  }

  /** With `tasksEnd`, in the reaction settling a task's promise: frees the slot now, or once `done` settles. */
  endNow(done: Promise<void>): Promise<void> | undefined {
    if (done !== SETTLED) return done.then(this.end, this.#endFailing);
    this.#taskEnded();
    return undefined;
  }

  /**
   * With `tasksEnd`, in the reaction settling a task's promise, given what a step that frees the slot itself
   * returned: frees it now only if that step ended synchronously.
   */
  endIfSettled(done: Promise<void>): Promise<void> | undefined {
    if (done !== SETTLED) return done;
    this.#taskEnded();
    return undefined;
  }

  #taskEnded(): void {
    // Without `tasksEnd` the limiter frees the slot itself when the task's promise settles: a second release
    // would let one task more run than the limit allows.
    if (!this.#tasksEnd) {
      throw new Error("Limiter.end() is for the tasks of a limiter made with tasksEnd: true");
    }
    this.#release();
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
      if (done !== SETTLED) return this.#tasksEnd ? done : done.then(this.#done, this.#failed);
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
      if (this.#tasksEnd) {
        // The task frees this slot itself, which runs the next waiting one; its caller's promise follows it.
        done.then(next.resolve, next.reject);
        break;
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
