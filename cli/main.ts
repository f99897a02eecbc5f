#!/usr/bin/env -S deno run --allow-all
/**
 * The `sluice` executable: `deno run -A cli/main.ts …` or `bun cli/main.ts …`.
 *
 * @module
 */

import process from "node:process";
import { main } from "./mod.ts";

const code = await main(process.argv.slice(2));
// Exit now rather than when the event loop drains: Deno, while it winds down, no longer handles SIGTERM,
// so the SIGTERM `sluice run --workers` sends to a worker that stopped on the terminal's Ctrl-C would end
// that worker by the signal instead of with its exit code.
process.exit(code);
