/**
 * The AWS SDK's SQS client, loaded on first connect so that importing the plugin costs nothing until used.
 *
 * @module
 */

import type { SQSClient } from "@aws-sdk/client-sqs";
import { importClient } from "@sluice/core/kit";

/** The SDK module. */
export type SqsModule = typeof import("@aws-sdk/client-sqs");

/** A client with the SDK's command classes. */
export interface SqsSdk {
  readonly client: SQSClient;
  readonly commands: SqsModule;
}

/** Imports `@aws-sdk/client-sqs`, or throws an error that says how to install it. */
export function loadSdk(): Promise<SqsModule> {
  return importClient("@aws-sdk/client-sqs", () => import("@aws-sdk/client-sqs"));
}

/**
 * The settings the plugin gives every `SQSClient` on the running runtime, before the user's `client` ones.
 *
 * - `cacheMiddleware`: the SDK resolves a command's middleware stack on every call unless told to keep it per
 *   command class, about 20 µs of CPU a request under Deno, 50–80 under Bun and Node (`bench/sqs/bench.ts
 *   publish-sluice`, the plugin with and without it alternated), for a stack that never changes here. Calls
 *   made with options (a receive's abort signal) still resolve theirs.
 * - Under Bun, the SDK's fetch handler instead of its `node:http` one: Bun's `node:http` client costs about a
 *   quarter more CPU a request than its own `fetch` (a scratch loop of 4,000 SendMessage calls, 64 at once:
 *   500–620 µs against 390–485). Under Deno and Node the fetch handler costs more (Deno 480 against 330–380,
 *   Node 830–1,140 against 570–660), so they keep the default.
 *
 * `client: { cacheMiddleware: false }` or a `requestHandler` of the user's replaces either.
 */
export async function runtimeSettings(): Promise<Record<string, unknown>> {
  if (!("Bun" in globalThis)) return { cacheMiddleware: true };
  const { FetchHttpHandler } = await importClient(
    "@smithy/fetch-http-handler",
    () => import("@smithy/fetch-http-handler"),
  );
  return { cacheMiddleware: true, requestHandler: new FetchHttpHandler() };
}

/** Each abortable call's signal, by its command's input and then by its HTTP request. */
const byInput = new WeakMap<object, AbortSignal>();
const byRequest = new WeakMap<object, AbortSignal>();

/** What the plugin needs of a request handler. */
interface Handler {
  handle(request: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The arguments a middleware of the SDK's `deserialize` step is called with. */
interface Arguments {
  readonly input: object;
  readonly request: object;
}

/**
 * Marks a command so that `signal` aborts its call, on a client made by {@link signalling}.
 *
 * The SDK takes an abort signal only as an option of `send`, and a call with options bypasses the middleware
 * cache and empties it: `send` resolves that call's stack and deletes every command's cached one. A consumer
 * whose receives each carry its stop signal so made every request (its deletions and the app's publishes too)
 * resolve its stack again: CPU µs a message of the drain, raw client / plugin before / after, Bun 111 / 154 /
 * 130, Deno 120 / 137 / 132, Node 133 / 164 / 148 (`<runtime> bench/sqs/bench.ts drain-raw|drain-sluice`,
 * 20,000 messages, alternated).
 */
export function abortable<C extends { readonly input: object }>(command: C, signal: AbortSignal): C {
  byInput.set(command.input, signal);
  return command;
}

/**
 * Makes `client` honour {@link abortable}: a middleware innermost in the last step of the stack keys the
 * input's signal by the HTTP request about to be sent (a retry's request too), and the client's request
 * handler, wrapped, passes it to the real one as the `abortSignal` option, as `send`'s own option would.
 */
export function signalling(client: SQSClient): void {
  const config = client.config as { requestHandler: Handler };
  config.requestHandler = withSignals(config.requestHandler);
  const carry = (next: (args: Arguments) => Promise<unknown>) => (args: Arguments) => {
    const signal = byInput.get(args.input);
    if (signal) byRequest.set(args.request, signal);
    return next(args);
  };
  client.middlewareStack.add(carry as never, {
    step: "deserialize",
    priority: "low",
    name: "sluiceAbortSignal",
  });
}

/**
 * The handler with each request's signal added to its options. A proxy rather than a subclass, so that any
 * handler (the user's own too) keeps its other members; its methods are bound to it, as some use private
 * fields that a proxy as `this` would not have.
 */
function withSignals(handler: Handler): Handler {
  const handle = (request: object, options: { abortSignal?: AbortSignal } = {}) => {
    const abortSignal = byRequest.get(request);
    return handler.handle(request, abortSignal ? { ...options, abortSignal } : options);
  };
  return new Proxy(handler, {
    get(target, key) {
      if (key === "handle") return handle;
      const value = Reflect.get(target, key);
      return typeof value === "function" && key !== "constructor" ? value.bind(target) : value;
    },
  });
}
