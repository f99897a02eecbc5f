/** A private nats-server with JetStream, its store in a temporary folder. */
import { dataDir, privateHandle, which } from "./_files.ts";
import { freePort, poll, Server } from "./_server.ts";
import type { PrivateBroker, PrivateBrokerOptions } from "./mod.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Starts nats-server -js; with `users` or a `token`, clients must authenticate. */
export async function privateNats(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
  const dir = dataDir("nats");
  const port = await freePort();
  const lines = [
    `listen: "127.0.0.1:${port}"`,
    `server_name: sluice_private_${port}`,
    `jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }`,
  ];
  const users = Object.entries(options.users ?? {});
  if (users.length > 0) {
    const list = users.map(([user, password]) =>
      `{ user: ${JSON.stringify(user)}, password: ${JSON.stringify(password)} }`
    );
    lines.push(`authorization { users: [ ${list.join(", ")} ] }`);
  } else if (options.token !== undefined) {
    lines.push(`authorization { token: ${JSON.stringify(options.token)} }`);
  }
  const config = join(dir, "nats.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  const server = new Server({
    label: `nats-server on ${port}`,
    command: which("nats-server")!,
    args: ["-c", config],
    readyTimeout: 15_000,
    ready: (timeout, output) =>
      poll(() => Promise.resolve(output().includes("Server is ready")), timeout, "Server is ready"),
  });
  await server.start();
  return privateHandle("nats", `nats://127.0.0.1:${port}`, port, dir, server);
}
