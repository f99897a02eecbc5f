/**
 * A private Mosquitto with persistence: sessions and their queued QoS 1 messages are saved when it stops and
 * read back when it starts, as a production broker is set up.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { dataDir, privateHandle, which } from "./_files.ts";
import { freePort, poll, portOpen, Server } from "./_server.ts";
import type { PrivateBroker, PrivateBrokerOptions } from "./mod.ts";

/** Starts mosquitto; with `users`, anonymous clients are refused. */
export async function privateMosquitto(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
  const dir = dataDir("mqtt");
  const port = await freePort();
  const lines = [
    `listener ${port} 127.0.0.1`,
    "persistence true",
    `persistence_location ${dir}/`,
    // Run as root, Mosquitto switches to the user "mosquitto", who cannot write this folder: stay root.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "max_queued_messages 100000",
  ];
  const users = Object.entries(options.users ?? {});
  if (users.length > 0) {
    const file = join(dir, "passwords");
    writeFileSync(file, "");
    for (const [user, password] of users) {
      const made = spawnSync(which("mosquitto_passwd")!, ["-b", file, user, password]);
      if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
    }
    lines.push("allow_anonymous false", `password_file ${file}`);
  } else {
    lines.push("allow_anonymous true");
  }
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  const server = new Server({
    label: `mosquitto on ${port}`,
    command: which("mosquitto")!,
    args: ["-c", config],
    readyTimeout: 15_000,
    ready: (timeout) => poll(() => portOpen(port), timeout, `port ${port}`),
  });
  await server.start();
  return privateHandle("mqtt", `mqtt://127.0.0.1:${port}`, port, dir, server);
}
