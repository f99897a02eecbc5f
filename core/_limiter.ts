/**
 * Bounds how many tasks run at once and, optionally, keeps tasks with the same key in order.
 *
 * @module
 */

/** Runs at most `limit` tasks at once; tasks sharing a key run one after another, in arrival order. */
export class Limiter {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #chains = new Map<string, Promise<void>>();
  #idle: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Tasks started and not yet finished, waiting ones included. */
  get open(): number {
    return this.#running + this.#waiting.length + this.#chains.size;
  }

  /** Runs `task` when a slot is free (and, with a key, after earlier tasks of that key). */
  run(task: () => Promise<void>, key?: string): Promise<void> {
    if (key === undefined) return this.#slot(task);
    const previous = this.#chains.get(key);
    const next = previous ? previous.then(() => this.#slot(task)) : this.#slot(task);
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

  #slot(task: () => Promise<void>): Promise<void> {
    if (this.#running < this.#limit) {
      this.#running++;
      return task().finally(() => this.#release());
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() =>
      task().finally(() => this.#release())
    );
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
    this.#checkIdle();
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
