/**
 * Sluice: message-driven services for Deno and Bun. This root module re-exports `@sluice/core`; brokers come
 * from their own packages (`@sluice/kafka`, `@sluice/rabbitmq`, `@sluice/nats`, `@sluice/redis`,
 * `@sluice/mqtt`, `@sluice/sqs`) or from `connect(url)`.
 *
 * @module
 */

export * from "./core/mod.ts";
