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
