// The consumer process of kill_test.ts: consumes a topic in a group with a slow handler and appends
// `partition offset` to a file for every record it handled (synchronously, so a SIGKILL loses no line),
// until the test kills it. Record 20 of the first partition it reads hangs, so that partition's commit
// stays at 20. Arguments: url topic group file.
import process from "node:process";
import { appendFileSync } from "node:fs";
import { createLogger } from "@sluice/core";
import { kafka } from "../mod.ts";

const [url, topic, group, file] = process.argv.slice(-4) as [string, string, string, string];
const broker = kafka({
  brokers: url,
  consumer: { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 },
  logger: createLogger({ level: "error" }),
});
let hung: number | undefined;
broker.subscriber(topic, { group, from: "earliest", concurrency: 3 }).handle(async (_body, ctx) => {
  const { partition, offset } = ctx.message.native as { partition: number; offset: string };
  // Record 20 of the first partition it reads never finishes: the records after it are handled but cannot
  // be committed.
  hung ??= partition;
  if (partition === hung && offset === "20") {
    appendFileSync(file, `hang ${partition}\n`);
    return await new Promise(() => undefined);
  }
  await new Promise((resolve) => setTimeout(resolve, 40));
  appendFileSync(file, `${partition} ${offset}\n`);
});
await broker.start();
