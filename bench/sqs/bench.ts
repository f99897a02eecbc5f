// SQS benchmark: the raw @aws-sdk/client-sqs (arm A) against Sluice (arm C), same client settings, payload
// (~100 bytes of JSON), decoding and ack position. One run per process:
//   <runtime> bench.ts fill <queue> <n>          pre-fill a queue (not timed)
//   <runtime> bench.ts drain-raw|drain-sluice <queue> <n>
//   <runtime> bench.ts publish-raw|publish-sluice <queue> <n> <window>
//   <runtime> bench.ts delete <queue>
// Prints one JSON line: { workload, arm, runtime, n, ms, rate }.
import process from "node:process";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { sqs } from "../../plugins/sqs/mod.ts";
import { runtimeSettings } from "../../plugins/sqs/_sdk.ts";
import { begin, cpuPerMessage, end, rssMiB } from "../_measure.ts";

const URL_ = process.env.SLUICE_SQS_URL ?? "sqs://127.0.0.1:9324";
const endpoint = URL_.replace(/^sqs:/, "http:");
// The plugin's own client settings for this runtime (its middleware cache, Bun's fetch handler), as every raw
// arm uses its plugin's client settings.
const config = {
  ...(await runtimeSettings()),
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
};
const [mode, queue, count, windowArg] = process.argv.slice(2);
const n = Number(count ?? 0);
const RECEIVERS = 4; // parallel receive calls of up to 10 messages: Sluice's default for prefetch 40
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const payload = (i: number) => ({
  id: i,
  user: "ada@example.com",
  item: "tea",
  amount: 12.5,
  note: "x".repeat(30),
});

function report(workload: string, arm: string, ms: number): void {
  console.log(
    JSON.stringify({
      workload,
      arm,
      runtime,
      n,
      ms: Math.round(ms),
      rate: Math.round((n / ms) * 1000),
      cpu_us: cpuPerMessage(n),
      rss_mib: rssMiB(),
    }),
  );
}

async function queueUrl(client: SQSClient): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue }));
  return QueueUrl!;
}

async function fill(): Promise<void> {
  const client = new SQSClient(config);
  const url = await queueUrl(client);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const start = next;
      next += 10;
      const entries = [];
      for (let i = start; i < Math.min(start + 10, n); i++) {
        entries.push({
          Id: String(i - start),
          MessageBody: JSON.stringify(payload(i)),
          MessageAttributes: { "content-type": { DataType: "String", StringValue: "application/json" } },
        });
      }
      await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  client.destroy();
}

async function drainRaw(): Promise<void> {
  const client = new SQSClient(config);
  const url = await queueUrl(client);
  const limit = RECEIVERS * 10; // messages held (received, not yet deleted): Sluice's prefetch
  let handled = 0;
  let deleted = 0;
  let held = 0;
  let sum = 0;
  let waiters: (() => void)[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = begin();
  const loop = async () => {
    while (handled < n) {
      const want = Math.min(10, limit - held);
      if (want <= 0) {
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      held += want;
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: want,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"],
        }),
      );
      held -= want - Messages.length;
      if (Messages.length === 0) continue;
      for (const m of Messages) sum += (JSON.parse(m.Body!) as { id: number }).id; // the "handler"
      handled += Messages.length;
      // Handled: the slots are free (Sluice frees a slot when the handler acks, before the deletion is
      // confirmed); deleted without holding up the next receive, as Sluice does.
      held -= Messages.length;
      void client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      ).then(() => {
        deleted += Messages.length;
        if (deleted >= n) finish();
        const woken = waiters;
        waiters = [];
        woken.forEach((resolve) => resolve());
      });
    }
  };
  const loops = Promise.all(Array.from({ length: RECEIVERS }, loop));
  // Timed to the last deletion: the loops' other receives, long-polling an empty queue by then, end up to
  // WaitTimeSeconds later, idle (Sluice's arm aborts them in its close, inside its timed section).
  await finished;
  const elapsed = end() - started;
  await loops;
  report("drain", "A raw", elapsed);
  if (sum < 0 || deleted < 0) console.log(sum);
  client.destroy();
}

async function drainSluice(): Promise<void> {
  const broker = sqs({ url: URL_, region: "us-east-1", waitTimeSeconds: 1, logLevel: "warn" });
  let handled = 0;
  let sum = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  broker.subscriber(queue!, { concurrency: RECEIVERS * 10 }).handle((order) => {
    sum += (order as { id: number }).id;
    if (++handled === n) done();
  });
  await broker.connect();
  const started = begin();
  await broker.start();
  await finished;
  await broker.close(); // stops the polls and waits for the last deletions
  report("drain", "C sluice", end() - started);
  if (sum < 0) console.log(sum);
}

async function publishRaw(window: number): Promise<void> {
  const client = new SQSClient(config);
  const url = await queueUrl(client);
  let next = 0;
  const started = begin();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const id = crypto.randomUUID();
      await client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify(payload(i)),
          MessageAttributes: {
            "content-type": { DataType: "String", StringValue: "application/json" },
            correlation_id: { DataType: "String", StringValue: id },
            message_id: { DataType: "String", StringValue: id },
          },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  report(`publish (window ${window})`, "A raw", end() - started);
  client.destroy();
}

async function publishSluice(window: number): Promise<void> {
  const broker = sqs({ url: URL_, region: "us-east-1", logLevel: "warn" });
  await broker.connect();
  await broker.driver.queueUrl(queue!);
  let next = 0;
  const started = begin();
  const worker = async () => {
    while (next < n) await broker.publish(payload(next++), queue!);
  };
  await Promise.all(Array.from({ length: window }, worker));
  report(`publish (window ${window})`, "C sluice", end() - started);
  await broker.close();
}

async function remove(): Promise<void> {
  const client = new SQSClient(config);
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }));
  await client.send(new DeleteQueueCommand({ QueueUrl }));
  client.destroy();
}

const window = Number(windowArg ?? 64);
switch (mode) {
  case "fill":
    await fill();
    break;
  case "drain-raw":
    await drainRaw();
    break;
  case "drain-sluice":
    await drainSluice();
    break;
  case "publish-raw":
    await publishRaw(window);
    break;
  case "publish-sluice":
    await publishSluice(window);
    break;
  case "delete":
    await remove();
    break;
  default:
    console.error(
      "usage: bench.ts fill|drain-raw|drain-sluice|publish-raw|publish-sluice|delete <queue> <n> [window]",
    );
    process.exit(2);
}
