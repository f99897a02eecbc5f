// The acceptance check: a consumer process killed with SIGKILL mid-stream loses nothing, and the
// group's next member receives again exactly the records that were not committed when it died. Real broker
// only (a process kill means nothing to the emulation); the child runs on the same runtime as the test.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { createLogger } from "@sluice/core";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { kafka } from "../mod.ts";
import { pause, testConsumer, unique, until } from "./_helpers.ts";

const real = await realBroker("kafka");
const PARTITIONS = 3;
const PER_PARTITION = 40;

/** The `partition offset` lines of the child's file, and the partition whose record 20 hung. */
function handledBy(file: string): { hung: number | undefined; records: [number, number][] } {
  if (!existsSync(file)) return { hung: undefined, records: [] };
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  const hang = lines.find((l) => l.startsWith("hang "));
  return {
    hung: hang === undefined ? undefined : Number(hang.slice(5)),
    records: lines.filter((l) => /^\d+ \d+$/.test(l)).map((l) =>
      l.split(" ").map(Number) as [number, number]
    ),
  };
}

describe("kafka consumer process killed mid-stream", { skip: real ? false : "no real kafka" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-kafka-kill-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "loses nothing and redelivers only the records not committed when it died",
    { timeout: 60_000 },
    async () => {
      const url = real!.url;
      const topic = unique("kill");
      const group = unique("kill-workers");
      const file = join(dir, "handled.txt");
      const total = PARTITIONS * PER_PARTITION;

      const seed = kafka({ brokers: url, logger: createLogger({ level: "error" }) });
      await seed.connect();
      for (let p = 0; p < PARTITIONS; p++) {
        await seed.publishBatch(Array.from({ length: PER_PARTITION }, (_, i) => i), topic, {
          partition: p,
          topic: { partitions: PARTITIONS },
        });
      }
      await seed.close();

      // The first consumer, in its own process on this runtime, killed once it handled about half.
      const child = fileURLToPath(new URL("./_kill_child.ts", import.meta.url));
      const args = "Deno" in globalThis ? ["run", "-A", child] : [child];
      const proc = spawn(process.execPath, [...args, url, topic, group, file], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      proc.stderr!.on("data", (chunk) => (stderr += String(chunk)));
      const exited = new Promise<string | null>((resolve) =>
        proc.on("exit", (_code, signal) => resolve(signal))
      );
      try {
        await until(
          () => handledBy(file).records.length >= total / 2 || proc.exitCode !== null,
          30_000,
          "the child",
        );
      } finally {
        proc.kill("SIGKILL");
      }
      assert.equal(await exited, "SIGKILL", `the child was killed, not ended: ${stderr}`);
      const { records: first, hung } = handledBy(file);
      assert.ok(first.length > 0 && first.length < total, `killed mid-stream (${first.length}/${total})`);

      // What the group had committed when the process died (nothing commits after a SIGKILL).
      const client = new Kafka({ brokers: [url.replace(/^kafka:\/\//, "")], logLevel: logLevel.NOTHING });
      const admin = client.admin();
      await admin.connect();
      const committed = new Map<number, number>();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        for (const { partition, offset } of offsets!.partitions) {
          committed.set(partition, Math.max(0, Number(offset)));
        }
      } finally {
        await admin.disconnect();
      }

      // The second consumer, in this process, in the same group, takes the rest.
      const second: [number, number][] = [];
      const broker = kafka({
        brokers: url,
        consumer: testConsumer,
        logger: createLogger({ level: "error" }),
      });
      broker.subscriber(topic, { group, from: "earliest" }).handle((_body, ctx) => {
        const { partition, offset } = ctx.message.native as { partition: number; offset: string };
        second.push([partition, Number(offset)]);
      });
      await broker.start();
      const expected = [...Array(PARTITIONS).keys()].reduce(
        (n, p) => n + PER_PARTITION - (committed.get(p) ?? 0),
        0,
      );
      try {
        await until(
          () => second.length >= expected,
          25_000,
          `the ${expected} uncommitted records`,
        );
        await pause(500);
      } finally {
        await broker.close();
      }

      let duplicates = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const from = committed.get(p) ?? 0;
        const before = new Set(first.filter(([q]) => q === p).map(([, o]) => o));
        const again = second.filter(([q]) => q === p).map(([, o]) => o);
        // Committed only what was handled: every offset below the commit was handled by the killed process.
        for (let o = 0; o < from; o++) {
          assert.ok(before.has(o), `partition ${p}: offset ${o} committed unhandled`);
        }
        // Redelivered exactly the uncommitted tail, each once, in order: nothing lost, nothing committed replayed.
        assert.deepEqual(
          again,
          Array.from({ length: PER_PARTITION - from }, (_, i) => from + i),
          `partition ${p}`,
        );
        // So a record handled twice is one handled at or after the commit: none that was committed.
        const twice = again.filter((o) => before.has(o));
        assert.deepEqual(twice, [...before].filter((o) => o >= from).sort((a, b) => a - b), `partition ${p}`);
        duplicates += twice.length;
      }
      // Record 20 of one partition hung in the killed process: that partition's commit stopped there, and the
      // records after it that it handled are handled again.
      assert.notEqual(hung, undefined, "the child reached its hanging record");
      assert.equal(committed.get(hung!), 20);
      assert.ok(duplicates > 0, "records handled after the hung one are redelivered");
      const handled = new Set([...first, ...second].map(([p, o]) => `${p}:${o}`));
      assert.equal(handled.size, total, "every record handled at least once");
      if (process.env.SLUICE_KAFKA_KILL_DEBUG) console.log({ first: first.length, committed, duplicates });
    },
  );
});
