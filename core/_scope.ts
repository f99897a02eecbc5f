/**
 * Where dependencies are provided: one level per app, broker and router, each pointing up to the level
 * above. A level makes its startup values when its broker (or app) starts and closes them when it stops; a
 * subscriber that needs dependencies gets, when it starts, a consume middleware that sets `ctx.deps` — the
 * values made at startup, plus those made for each message. A subscriber that needs nothing gets no
 * middleware, so dependencies cost nothing where they are not used.
 *
 * @module
 */

import type { Context } from "./context.ts";
import {
  type Dependency,
  DependencyError,
  type MessageProvider,
  type Needs,
  type Provider,
  type Use,
} from "./dependency.ts";
import { describeError, OptionError } from "./errors.ts";
import type { ConsumeMiddleware, Middleware } from "./middleware.ts";

type AnyDependency = Dependency<unknown>;

const NOTHING: unique symbol = Symbol("nothing");

function kindOf(provider: Provider<unknown>): "value" | "startup" | "perMessage" | undefined {
  const keys = ["value", "startup", "perMessage"].filter((k) => k in (provider as object));
  return keys.length === 1 ? keys[0] as "value" | "startup" | "perMessage" : undefined;
}

/** One level of providers: an app's, a broker's or a router's. */
export class Scope {
  /** The level above: a router's parent, a broker's app. */
  parent: Scope | undefined;
  /** Who provides at this level, for errors: `the app`, `router orders.` … */
  owner: string;
  /** What the router of this level needs, for all its subscribers. */
  needs: Needs = {};
  readonly #providers = new Map<AnyDependency, Provider<unknown>>();
  readonly #made = new Map<AnyDependency, unknown>();
  #closers: (() => unknown)[] = [];
  #started = false;

  constructor(owner: string) {
    this.owner = owner;
  }

  /** Provides `dependency` at this level; a later call for the same dependency replaces the provider. */
  provide<T>(dependency: Dependency<T>, provider: Provider<T>): void {
    if (this.#started) {
      throw new DependencyError(
        `Cannot provide ${dependency.name} while ${this.owner} runs: provide it before starting`,
      );
    }
    if (!provider || typeof provider !== "object" || kindOf(provider as Provider<unknown>) === undefined) {
      throw new OptionError(
        `The provider of ${dependency.name} must have exactly one of "value", "startup" or "perMessage"`,
      );
    }
    this.#providers.set(dependency as AnyDependency, provider as Provider<unknown>);
  }

  /** The level providing `dependency`, from this one up, with its provider. */
  find(dependency: AnyDependency): { scope: Scope; provider: Provider<unknown> } | undefined {
    for (const scope of this.#chain()) {
      const provider = scope.#providers.get(dependency);
      if (provider) return { scope, provider };
    }
    return undefined;
  }

  /** The needs of this level and every level above, the nearer winning for the same name. */
  allNeeds(): Needs {
    return Object.assign({}, ...this.#chain().reverse().map((s) => s.needs));
  }

  /** This level and every level above, nearest first. */
  #chain(): Scope[] {
    const chain: Scope[] = [this];
    for (let scope = this.parent; scope; scope = scope.parent) chain.push(scope);
    return chain;
  }

  /** Makes the startup values and takes the values of this level, in the order they were provided. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      for (const [dependency, provider] of this.#providers) {
        if ("value" in provider) this.#made.set(dependency, provider.value);
        else if ("startup" in provider) {
          let value: unknown;
          try {
            value = await provider.startup(this.#use);
          } catch (error) {
            if (error instanceof DependencyError) throw error;
            throw new DependencyError(
              `The startup of ${dependency.name} (provided by ${this.owner}) failed: ${describeError(error)}`,
              { cause: error },
            );
          }
          this.#made.set(dependency, value);
          const shutdown = provider.shutdown;
          if (shutdown) this.#closers.push(() => shutdown(value));
        }
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Closes what `start()` made, in the reverse order; every closer runs even if one fails. */
  async stop(): Promise<void> {
    const closers = this.#closers.reverse();
    this.#closers = [];
    this.#made.clear();
    this.#started = false;
    const errors: unknown[] = [];
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new DependencyError(
        `Closing the dependencies of ${this.owner} failed: ${errors.map(describeError).join("; ")}`,
        { cause: errors[0] },
      );
    }
  }

  /** The startup value of `dependency` from this level up; throws when it is per message or not made. */
  readonly #use: Use = <U>(dependency: Dependency<U>): U => {
    const value = this.#startupValue(dependency as AnyDependency, "a startup provider");
    return value as U;
  };

  #startupValue(dependency: AnyDependency, who: string): unknown {
    const found = this.find(dependency);
    if (!found) throw missing(dependency, who);
    if ("perMessage" in found.provider) {
      throw new DependencyError(
        `${who} uses ${dependency.name}, which is made per message: only startup values and plain values are available there`,
      );
    }
    const value = found.scope.#made.get(dependency);
    if (value === undefined && !found.scope.#made.has(dependency)) {
      throw new DependencyError(
        `${dependency.name} is provided by ${found.scope.owner}, which is not started: start ${found.scope.owner} first (app.start(), or testApp(app) in a test)`,
      );
    }
    return value;
  }

  /** Throws a {@linkcode DependencyError} for the first of `needs` that nothing provides. */
  check(needs: Needs, who: string): void {
    for (const [name, dependency] of Object.entries(needs)) {
      if (!this.find(dependency)) throw missing(dependency, `${who} (as ctx.deps.${name})`);
    }
  }

  /**
   * The middleware that sets `ctx.deps` for a subscriber needing `needs`, or undefined when it needs
   * nothing. Startup values are read now, once; per-message values are made for each message.
   */
  middleware(needs: Needs, who: string): Middleware | undefined {
    const names = Object.keys(needs);
    if (names.length === 0) return undefined;
    this.check(needs, who);
    const fixed: Record<string, unknown> = {};
    const perMessage: [string, AnyDependency, MessageProvider<unknown>][] = [];
    for (const name of names) {
      const dependency = needs[name]!;
      const { provider } = this.find(dependency)!;
      if ("perMessage" in provider) perMessage.push([name, dependency, provider]);
      else fixed[name] = this.#startupValue(dependency, who);
    }
    if (perMessage.length === 0) {
      const deps = Object.freeze(fixed);
      const consume: ConsumeMiddleware = (context, next) => {
        (context as { deps: unknown }).deps = deps;
        return next();
      };
      return { name: "dependencies", consume };
    }
    const consume: ConsumeMiddleware = async (context, next) => {
      const deps: Record<string, unknown> = { ...fixed };
      const made = new Map<AnyDependency, unknown>();
      const releases: (() => unknown)[] = [];
      let failure: unknown = NOTHING;
      const use: Use = <U>(dependency: Dependency<U>): U => {
        if (made.has(dependency as AnyDependency)) return made.get(dependency as AnyDependency) as U;
        const found = this.find(dependency as AnyDependency);
        if (found && "perMessage" in found.provider) {
          throw new DependencyError(
            `${dependency.name} is made per message and is not made yet: list it before what uses it in needs`,
          );
        }
        return this.#startupValue(dependency as AnyDependency, who) as U;
      };
      try {
        for (const [name, dependency, provider] of perMessage) {
          const value = await provider.perMessage(context as Context, use);
          made.set(dependency, value);
          deps[name] = value;
          const release = provider.release;
          if (release) releases.push(() => release(value, failure === NOTHING ? undefined : failure));
        }
        (context as { deps: unknown }).deps = deps;
        return await next();
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        for (const release of releases.reverse()) {
          try {
            await release();
          } catch (error) {
            context.logger.error(`Releasing a dependency failed: ${describeError(error)}`);
          }
        }
      }
    };
    return { name: "dependencies", consume };
  }
}

function missing(dependency: AnyDependency, who: string): DependencyError {
  return new DependencyError(
    `${who} needs ${dependency.name}, which nothing provides: provide it with app.provide(), broker.provide() or router.provide() above it`,
  );
}
