/**
 * A private redis-server: append-only file synced on every write, so what Redis acknowledged survives a
 * restart (the broker keeps its promise; the test then measures the client's).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir, privateHandle, which } from "./_files.ts";
import { freePort, poll, probe, Server } from "./_server.ts";
import type { PrivateBroker, PrivateBrokerOptions } from "./mod.ts";

/** Starts redis-server; `users` become ACL users (a user named `default` sets `requirepass`). */
export async function privateRedis(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
  const dir = dataDir("redis");
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
  ];
  // ACL users go in a configuration file: redis-server 7.0 reads `--user` arguments as one word.
  const acl: string[] = [];
  for (const [user, password] of Object.entries(options.users ?? {})) {
    if (user === "default") args.push("--requirepass", password);
    else acl.push(`user ${user} on >${password} ~* &* +@all`);
  }
  if (acl.length > 0) {
    const file = join(dir, "redis.conf");
    writeFileSync(file, `${acl.join("\n")}\n`, { mode: 0o600 });
    args.unshift(file);
  }
  const server = new Server({
    label: `redis-server on ${port}`,
    command: which("redis-server")!,
    args,
    readyTimeout: 15_000,
    // PONG, or NOAUTH with a password: either way it serves (LOADING means it still reads its file).
    ready: (timeout) =>
      poll(
        async () => {
          const answer = await probe(port, "PING\r\n");
          return answer !== undefined && /^(\+PONG|-NOAUTH)/.test(new TextDecoder().decode(answer));
        },
        timeout,
        "PONG",
      ),
  });
  await server.start();
  return privateHandle("redis", `redis://127.0.0.1:${port}`, port, dir, server);
}
