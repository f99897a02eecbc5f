/** The consumer process of the fault tests: `sluice run tests/faults/_consumer_app.ts` on this test's runtime. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Running, runScript, RUNTIMES } from "../_support/runtimes.ts";
import { RUNTIME } from "./_results.ts";
import type { FaultTarget } from "./_targets.ts";

const cli = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const app = fileURLToPath(new URL("./_consumer_app.ts", import.meta.url));

/** What the consumer process wrote: when each message's handler started and finished. */
export interface Handled {
  readonly started: ReadonlyMap<number, number>;
  readonly done: ReadonlyMap<number, number>;
  /** Ids started and not finished. */
  readonly unfinished: readonly number[];
}

/** Settings of a consumer process. */
export interface ConsumerSettings {
  readonly url: string;
  readonly channel: string;
  readonly group: string;
  readonly delay?: number;
  readonly concurrency?: number;
  readonly prefetch?: number;
  readonly redeliverAfter?: number;
  /** Report memory every this many ms instead of writing a line per message (see {@linkcode memorySamples}). */
  readonly memory?: number;
  /** More environment variables of the process. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One memory report of a consumer process. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly handled: number;
  readonly at: number;
}

/** The memory reports a consumer process printed so far. */
export function memorySamples(consumer: ConsumerProcess): MemorySample[] {
  return consumer.process.output().stdout.split("\n").filter((line) => line.startsWith("memory "))
    .map((line) => JSON.parse(line.slice("memory ".length)) as MemorySample);
}

/** A consumer process and the lines it wrote. */
export interface ConsumerProcess {
  readonly process: Running;
  handled(): Handled;
  /** Kills it if it still runs, and deletes its file. */
  dispose(): void;
}

/** Starts the consumer app under `sluice run`; resolves once it logged "App started". */
export async function startConsumer(
  target: FaultTarget,
  settings: ConsumerSettings,
): Promise<ConsumerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-faults-"));
  const file = join(dir, "handled.txt");
  const runtime = RUNTIMES.find((r) => r.name === RUNTIME.name)!;
  const env: Record<string, string> = {
    ...settings.env,
    FAULTS_TARGET: target.name,
    FAULTS_URL: settings.url,
    FAULTS_CHANNEL: settings.channel,
    FAULTS_GROUP: settings.group,
    FAULTS_FILE: file,
  };
  const optional = {
    FAULTS_DELAY: settings.delay,
    FAULTS_CONCURRENCY: settings.concurrency,
    FAULTS_PREFETCH: settings.prefetch,
    FAULTS_REDELIVER: settings.redeliverAfter,
    FAULTS_MEMORY: settings.memory,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) env[name] = String(value);
  const running = runScript(runtime, cli, ["run", app], { env });
  const dispose = () => {
    running.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await running.until((stdout) => stdout.includes("App started"), 60_000);
  } catch (error) {
    dispose();
    throw error;
  }
  return {
    process: running,
    dispose,
    handled() {
      const started = new Map<number, number>();
      const done = new Map<number, number>();
      if (existsSync(file)) {
        for (const line of readFileSync(file, "utf8").split("\n")) {
          const [what, id, at] = line.split(" ");
          if (what === "start") started.set(Number(id), Number(at));
          else if (what === "done") done.set(Number(id), Number(at));
        }
      }
      return { started, done, unfinished: [...started.keys()].filter((id) => !done.has(id)) };
    },
  };
}
