#!/usr/bin/env -S deno run --allow-all
/**
 * The `sluice` executable: `deno run -A cli/main.ts …` or `bun cli/main.ts …`.
 *
 * @module
 */

import process from "node:process";
import { main } from "./mod.ts";

process.exitCode = await main(process.argv.slice(2));
