/**
 * Asks for a quote, whose handler asks for a price, and prints the one trace they make, with the JSON log
 * lines that carry its ids.
 *
 * `deno run -A examples/opentelemetry/main.ts` or `bun examples/opentelemetry/main.ts`.
 *
 * @module
 */

import { broker, spans } from "./app.ts";
import { traceTree } from "./tree.ts";

await broker.start();
const reply = await broker.request("tea", "quotes", { timeout: 1000 });
await broker.close();
console.log(`reply: ${JSON.stringify(reply.body)}`);
console.log(`trace ${spans.getFinishedSpans()[0]?.spanContext().traceId}:`);
for (const line of traceTree(spans.getFinishedSpans())) console.log(`  ${line}`);
