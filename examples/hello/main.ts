/**
 * Runs the hello app: for five seconds by default, or until Ctrl-C with `--forever`.
 *
 * `deno run --allow-env examples/hello/main.ts [--forever]` or `bun examples/hello/main.ts [--forever]`.
 *
 * @module
 */

import process from "node:process";
import { app } from "./app.ts";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
process.once("SIGTERM", () => controller.abort());
if (!process.argv.includes("--forever")) setTimeout(() => controller.abort(), 5000);

await app.run(controller.signal);
