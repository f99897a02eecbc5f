/**
 * `scripts/brokers secured …`: the secured variant of each broker (configs.ts) as long-running daemons on fixed
 * loopback ports, for trying TLS and logins by hand or from another project. State, logs and the CA live under
 * `$SLUICE_BROKERS_HOME/secured` (`~/.cache/sluice/brokers/secured`).
 *
 *   deno run -A scripts/brokers.d/secured/cli.ts up|down|status|env [--purge] [NAME...]
 *
 * NAME is one of redis nats mqtt amqp kafka (all when none). The user is `sluice`, the password
 * `$SLUICE_SECURED_PASSWORD` or `sluice-secret`; `env` prints the URLs with them, the CA's path and the NATS
 * NKey seed.
 */
import process from "node:process";
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createUser, fromSeed } from "@nats-io/nkeys";
import { makePki } from "./pki.ts";
import { isReady, planSecured, SECURED_NAMES, type SecuredName } from "./configs.ts";

const HOME = process.env.SLUICE_BROKERS_HOME ?? join(process.env.HOME ?? "/root", ".cache/sluice/brokers");
const STATE = join(HOME, "secured");
const USER = "sluice";
const PASSWORD = process.env.SLUICE_SECURED_PASSWORD ?? "sluice-secret";
const KAFKA_VERSION = process.env.SLUICE_KAFKA_VERSION ?? "3.9.2";

/** Fixed ports, away from the plain brokers' (6379, 4222, 1883, 5672, 9092/9093) and their usual neighbours. */
const PORTS: Record<SecuredName, number[]> = {
  redis: [16379],
  nats: [14222],
  mqtt: [18883],
  amqp: [15671, 25671, 14369],
  kafka: [19094, 19095],
};

function say(text: string): void {
  process.stderr.write(`[brokers secured] ${text}\n`);
}

function which(program: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"]) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

function kafkaJars(): string | undefined {
  const lib = join(HOME, "lib");
  if (!existsSync(lib)) return undefined;
  for (const entry of readdirSync(lib)) {
    if (entry.startsWith(`kafka-${KAFKA_VERSION}-`) && existsSync(join(lib, entry, ".complete"))) {
      return join(lib, entry);
    }
  }
  return undefined;
}

/** The NKey seed of the NATS user, made once. */
function nkeySeed(): string {
  const file = join(STATE, "nats-user.nk");
  if (!existsSync(file)) {
    mkdirSync(STATE, { recursive: true });
    writeFileSync(file, new TextDecoder().decode(createUser().getSeed()), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

function pidOf(name: SecuredName): number[] {
  const file = join(STATE, "run", `${name}.pids`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function running(name: SecuredName): boolean {
  const pids = pidOf(name);
  return pids.length > 0 && alive(pids[pids.length - 1]!);
}

async function up(names: SecuredName[]): Promise<void> {
  const pki = makePki(join(STATE, "pki"));
  mkdirSync(join(STATE, "run"), { recursive: true });
  mkdirSync(join(STATE, "logs"), { recursive: true });
  const seed = nkeySeed();
  for (const name of names) {
    if (running(name)) {
      say(`${name}: already running`);
      continue;
    }
    const started = Date.now();
    const plan = planSecured(name, {
      dir: join(STATE, name),
      pki,
      ports: PORTS[name],
      users: {
        user: USER,
        password: PASSWORD,
        nkey: fromSeed(new TextEncoder().encode(seed)).getPublicKey(),
      },
      which,
      kafkaJars: kafkaJars(),
      root: process.getuid?.() === 0,
    });
    const pids: number[] = [];
    for (const step of plan.processes) {
      const log = join(STATE, "logs", `${name}${step === plan.processes.at(-1) ? "" : "-helper"}.log`);
      writeFileSync(log, "");
      const fd = openSync(log, "a");
      const child = spawn(step.command, [...step.args], {
        env: { ...process.env, ...step.env },
        stdio: ["ignore", fd, fd],
        detached: true,
      });
      closeSync(fd);
      child.unref();
      pids.push(child.pid!);
      writeFileSync(join(STATE, "run", `${name}.pids`), pids.join(" "));
      const end = Date.now() + step.readyTimeout;
      while (!(await isReady(step.ready, readFileSync(log, "utf8"), pki.ca))) {
        if (!alive(child.pid!) || Date.now() > end) {
          const tail = readFileSync(log, "utf8").split("\n").slice(-15).join("\n");
          throw new Error(`${step.label} did not start (log: ${log}):\n${tail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    say(`${name}: ready at ${plan.url} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }
  say(`now: eval "$(scripts/brokers secured env)"`);
}

async function down(names: SecuredName[], purge: boolean): Promise<void> {
  for (const name of names) {
    const pids = pidOf(name).reverse().filter(alive);
    for (const pid of pids) {
      // Each daemon leads its own process group (a launcher script and what it started go together).
      const signal = (s: NodeJS.Signals) => {
        try {
          process.kill(-pid, s);
        } catch {
          // Already gone.
        }
      };
      signal("SIGTERM");
      const end = Date.now() + 60_000;
      while (alive(pid) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 200));
      signal("SIGKILL");
    }
    rmSync(join(STATE, "run", `${name}.pids`), { force: true });
    if (pids.length > 0) say(`${name}: stopped`);
    if (purge) rmSync(join(STATE, name), { recursive: true, force: true });
  }
  if (purge && names.length === SECURED_NAMES.length) rmSync(STATE, { recursive: true, force: true });
}

function urls(): Record<SecuredName, string> {
  const login = `${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1`;
  return {
    redis: `rediss://${login}:${PORTS.redis[0]}`,
    nats: `nats://${login}:${PORTS.nats[0]}?tls=true`,
    mqtt: `mqtts://${login}:${PORTS.mqtt[0]}`,
    amqp: `amqps://${login}:${PORTS.amqp[0]}`,
    kafka: `kafka://${login}:${PORTS.kafka[0]}?sasl=scram-sha-256&ssl=true`,
  };
}

function env(names: SecuredName[]): void {
  const all = urls();
  const lines = [`export SLUICE_SECURED_CA=${join(STATE, "pki", "ca.pem")}`];
  for (const name of names) lines.push(`export SLUICE_SECURED_${name.toUpperCase()}_URL='${all[name]}'`);
  if (names.includes("nats")) lines.push(`export SLUICE_SECURED_NATS_NKEY_SEED=${nkeySeed()}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function status(names: SecuredName[]): number {
  const all = urls();
  let code = 0;
  for (const name of names) {
    const up = running(name);
    if (!up) code = 1;
    process.stdout.write(
      `${name.padEnd(6)} ${up ? "up  " : "down"}  ${all[name].replace(/:[^:@/]*@/, ":***@")}\n`,
    );
  }
  return code;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const purge = rest.includes("--purge");
  const aliases: Record<string, SecuredName> = { rabbitmq: "amqp", mosquitto: "mqtt" };
  const asked = rest.filter((a) => a !== "--purge" && a !== "all").map((a) => aliases[a] ?? a);
  const unknown = asked.filter((a) => !SECURED_NAMES.includes(a as SecuredName));
  if (unknown.length > 0) {
    say(
      `unknown broker ${unknown.join(", ")} (one of: ${SECURED_NAMES.join(" ")}; SQS has no secured variant)`,
    );
    return 1;
  }
  const names = asked.length > 0 ? SECURED_NAMES.filter((n) => asked.includes(n)) : [...SECURED_NAMES];
  switch (command) {
    case "up":
      await up(names);
      return 0;
    case "down":
      await down(names, purge);
      return 0;
    case "env":
      env(names);
      return 0;
    case "status":
      return status(names);
    default:
      say("usage: scripts/brokers secured up|down [--purge]|status|env [NAME...]");
      return 1;
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  say(`ERROR: ${(error as Error).message}`);
  process.exitCode = 1;
}
