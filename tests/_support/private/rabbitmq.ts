/**
 * A private RabbitMQ node: its own node name, ports, Erlang cookie, Mnesia folder and epmd (on a port of its
 * own, so it shares nothing with the node of scripts/brokers).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { dataDir, privateHandle, which } from "./_files.ts";
import { freePort, poll, portOpen, probe, Server } from "./_server.ts";
import type { PrivateBroker, PrivateBrokerOptions } from "./mod.ts";

const BIN = "/usr/lib/rabbitmq/bin";

/** Why a private node cannot run here, or undefined. */
export function rabbitmqMissing(): string | undefined {
  if (!existsSync(`${BIN}/rabbitmq-server`)) {
    return `no ${BIN}/rabbitmq-server (scripts/brokers up installs it)`;
  }
  if (!which("epmd")) return "no epmd program (it comes with rabbitmq-server's Erlang)";
  return undefined;
}

/** A private node, and rabbitmqctl for it. */
export interface PrivateRabbitmq extends PrivateBroker {
  /** Runs `rabbitmqctl args…` against this node; resolves with its output. */
  ctl(...args: string[]): Promise<string>;
}

/** Starts a node; with one user in `users`, it is the only one (no guest). */
export async function privateRabbitmq(options: PrivateBrokerOptions = {}): Promise<PrivateRabbitmq> {
  const dir = dataDir("amqp");
  const [port, dist, epmdPort] = [await freePort(), await freePort(), await freePort()];
  for (const sub of ["home", "mnesia", "log"]) mkdirSync(join(dir, sub));
  const env = join(dir, "rabbitmq-env.conf");
  writeFileSync(
    env,
    [
      `NODENAME=sluice-private-${port}@localhost`,
      "NODE_IP_ADDRESS=127.0.0.1",
      `NODE_PORT=${port}`,
      `DIST_PORT=${dist}`,
      `CONFIG_FILE=${join(dir, "rabbitmq.conf")}`,
      `ADVANCED_CONFIG_FILE=${join(dir, "advanced.config")}`,
      `ENABLED_PLUGINS_FILE=${join(dir, "enabled_plugins")}`,
      `MNESIA_BASE=${join(dir, "mnesia")}`,
      `LOG_BASE=${join(dir, "log")}`,
      `PID_FILE=${join(dir, "rabbitmq.pid")}`,
      'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"',
      "",
    ].join("\n"),
  );
  const users = Object.entries(options.users ?? {});
  if (users.length > 1) throw new Error("a private RabbitMQ node takes one user");
  const conf = [
    "log.console = true",
    "log.console.level = warning",
    "log.file = false",
    "disk_free_limit.absolute = 50MB",
  ];
  // The default user is made when the node first starts, in place of guest.
  for (const [user, password] of users) conf.push(`default_user = ${user}`, `default_pass = ${password}`);
  writeFileSync(join(dir, "rabbitmq.conf"), `${conf.join("\n")}\n`);
  writeFileSync(join(dir, "advanced.config"), "[].\n");
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  const erlangEnv = {
    RABBITMQ_CONF_ENV_FILE: env,
    HOME: join(dir, "home"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ERL_EPMD_PORT: String(epmdPort),
  };
  const epmd = new Server({
    label: `epmd on ${epmdPort}`,
    command: which("epmd")!,
    args: ["-port", String(epmdPort), "-address", "127.0.0.1"],
    readyTimeout: 10_000,
    ready: (timeout) => poll(() => portOpen(epmdPort), timeout, `epmd on ${epmdPort}`),
  });
  const node = new Server({
    label: `RabbitMQ node on ${port}`,
    command: `${BIN}/rabbitmq-server`,
    args: [],
    env: erlangEnv,
    readyTimeout: 90_000,
    stopTimeout: 60_000,
    // Serving means answering the AMQP 0-9-1 header with a Connection.Start method frame (type 1).
    ready: (timeout) =>
      poll(async () => (await probe(port, "AMQP\x00\x00\x09\x01"))?.[0] === 1, timeout, "an AMQP handshake"),
  });
  await epmd.start();
  try {
    await node.start();
  } catch (error) {
    await epmd.stop();
    throw error;
  }
  const ctl = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(`${BIN}/rabbitmqctl`, ["-q", ...args], {
        env: { ...process.env, ...erlangEnv },
        timeout: 60_000,
      }, (error, stdout, stderr) => {
        if (error) reject(new Error(`rabbitmqctl ${args.join(" ")} failed: ${stderr || error.message}`));
        else resolve(String(stdout));
      });
    });
  return Object.assign(privateHandle("amqp", `amqp://127.0.0.1:${port}`, port, dir, node, [epmd]), { ctl });
}
