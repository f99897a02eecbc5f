/**
 * The brokers of one test run in Docker containers, started with testcontainers and found by the tests by
 * label (tests/_support/brokers.ts). Run it through `scripts/containers`:
 *
 *   scripts/containers up [NAME...]              start one container per broker (all six without a name)
 *   scripts/containers down                      remove the containers `up` started from the same shell (and
 *                                                the leftovers of killed runs; other live runs' stay)
 *   scripts/containers status                    list the labelled containers: broker, id, image, ports, URL
 *   scripts/containers env [NAME...]             print `export SLUICE_<NAME>_URL=...` for the run's containers
 *   scripts/containers run [NAME...] -- CMD...   up, run CMD, down (also when CMD fails or is interrupted)
 *
 * The containers of `up` live as long as the process that called it (the shell of a CI script, say): once it
 * is gone, the next `up`, `run` or test process that starts a container removes them. Those of `run` live as
 * long as `run` itself. Images: `SLUICE_<NAME>_IMAGE`, else the official ones (`scripts/images build` makes
 * local ones). The engine: `DOCKER_HOST`, else the usual sockets (`scripts/docker up` starts one).
 */
import process from "node:process";
import { spawn } from "node:child_process";
import { BROKER_NAMES, type BrokerName, dockerEndpoint } from "../tests/_support/brokers.ts";
import {
  type BrokerContainer,
  brokerImage,
  describeContainer,
  findRunContainer,
  LABEL_BROKER,
  LABEL_OWNER,
  LABEL_SCOPE,
  LABEL_URL,
  listContainers,
  ownerGone,
  ownerLabel,
  removeContainer,
  removeLeftovers,
  startBrokerContainer,
} from "../tests/_support/containers.ts";

const ALIASES: Record<string, BrokerName> = { rabbitmq: "amqp", mosquitto: "mqtt", elasticmq: "sqs" };

function say(line: string): void {
  console.error(`[containers] ${line}`);
}

function names(args: string[]): BrokerName[] {
  if (args.length === 0 || args.includes("all")) return [...BROKER_NAMES];
  return args.map((arg) => {
    const name = ALIASES[arg] ?? arg;
    if (!BROKER_NAMES.includes(name as BrokerName)) {
      throw new Error(`unknown broker '${arg}' (one of: ${BROKER_NAMES.join(" ")})`);
    }
    return name as BrokerName;
  });
}

async function engine(): Promise<string> {
  const endpoint = await dockerEndpoint(process.env);
  if (!endpoint) {
    throw new Error(
      `no Docker engine answers${
        process.env.DOCKER_HOST ? ` at ${process.env.DOCKER_HOST}` : ""
      }: start one (eval "$(scripts/docker up)")`,
    );
  }
  // testcontainers reads DOCKER_HOST; give it the engine found here.
  process.env.DOCKER_HOST = endpoint;
  return endpoint;
}

async function up(brokers: BrokerName[], owner: string): Promise<void> {
  const endpoint = await engine();
  const started = Date.now();
  const removed = await removeLeftovers(endpoint);
  for (const c of removed) {
    say(`removed ${c.Labels[LABEL_BROKER]} container ${c.Id.slice(0, 12)} of a run that is gone`);
  }
  say(`engine ${endpoint}; starting ${brokers.join(", ")}`);
  const results = await Promise.allSettled(brokers.map(async (name) => {
    const running = await findRunContainer(endpoint, name, owner);
    if (running) {
      say(`${name}: running already for this owner (${running.Id.slice(0, 12)})`);
      return undefined;
    }
    const t0 = Date.now();
    const c: BrokerContainer = await startBrokerContainer(name, { scope: "run", owner });
    say(`${name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return c;
  }));
  const failures = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
  if (failures.length > 0) {
    // Only what this call started goes: other runs' containers, even on the same engine, are theirs.
    const started = results.flatMap((r) => r.status === "fulfilled" && r.value ? [r.value] : []);
    await Promise.all(started.map((c) => c.remove().catch(() => {})));
    throw new Error(failures.map((e) => e instanceof Error ? e.message : String(e)).join("\n"));
  }
  say(`all up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await status();
}

async function down(owner: string): Promise<void> {
  const endpoint = await engine();
  const all = await listContainers(endpoint, [LABEL_BROKER]);
  // This owner's containers, and those of owners that are gone; another live run's stay.
  const mine = all.filter((c) => c.Labels[LABEL_OWNER] === owner || ownerGone(c.Labels[LABEL_OWNER]));
  await Promise.all(mine.map((c) => removeContainer(endpoint, c.Id)));
  for (const c of mine) say(`removed ${c.Labels[LABEL_BROKER]} container ${c.Id.slice(0, 12)}`);
  const left = await listContainers(endpoint, [LABEL_BROKER]);
  say(`${left.length} labelled container(s) left (label ${LABEL_BROKER})`);
}

async function status(): Promise<void> {
  const endpoint = await engine();
  const all = await listContainers(endpoint, [LABEL_BROKER]);
  for (const c of all) {
    const ports = c.Ports.filter((p) => p.PublicPort).map((p) =>
      `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
    ).join(",");
    const line = describeContainer({
      name: c.Labels[LABEL_BROKER]!,
      id: c.Id,
      image: c.Image,
      ports,
      url: c.Labels[LABEL_URL]!,
    });
    console.log(`${line}  ${c.State} ${c.Labels[LABEL_SCOPE]}`);
  }
  if (all.length === 0) say("no labelled containers");
}

async function env(brokers: BrokerName[]): Promise<void> {
  const endpoint = await engine();
  for (const name of brokers) {
    const c = await findRunContainer(endpoint, name);
    if (!c) throw new Error(`no running ${name} container of a test run (scripts/containers up ${name})`);
    console.log(`export SLUICE_${name.toUpperCase()}_URL=${c.Labels[LABEL_URL]}`);
  }
}

async function run(brokers: BrokerName[], command: string[]): Promise<number> {
  if (command.length === 0) throw new Error("scripts/containers run [NAME...] -- CMD [ARGS...]: no command");
  const owner = ownerLabel(process.pid);
  await up(brokers, owner);
  const child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  const code = await new Promise<number>((resolve) => {
    child.on("error", (err) => {
      say(`could not run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.on("exit", (status, signal) => resolve(status ?? (signal ? 128 + 1 : 1)));
  });
  await down(owner);
  return code;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const dash = rest.indexOf("--");
  const args = dash < 0 ? rest : rest.slice(0, dash);
  switch (command) {
    case "up":
      // The caller (a shell, a CI script) bounds the containers' life: `scripts/containers` execs this.
      await up(names(args), ownerLabel(process.ppid));
      return 0;
    case "down":
      await down(ownerLabel(process.ppid));
      return 0;
    case "status":
      await status();
      return 0;
    case "env":
      await env(names(args));
      return 0;
    case "run":
      return await run(names(args), dash < 0 ? [] : rest.slice(dash + 1));
    default:
      console.error(
        "usage: scripts/containers up [NAME...] | down | status | env [NAME...] | run [NAME...] -- CMD...\n" +
          `NAME: ${BROKER_NAMES.join(" ")}; images: ${
            BROKER_NAMES.map((n) => `${n}=${brokerImage(n)}`).join(" ")
          }`,
      );
      return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  say(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
