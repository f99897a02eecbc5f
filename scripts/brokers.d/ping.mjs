// Readiness probe used by scripts/brokers: waits until a broker really serves, using the same
// client library the tests use (resolved from the repository's node_modules).
//
//   node scripts/brokers.d/ping.mjs <kafka|amqp|nats|redis|mqtt|sqs> <url> [timeoutSeconds]
//
// Exits 0 once one real round trip succeeded, 1 (printing the last error) when the deadline passed.
const [name, url, timeoutArg] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg ?? 60) * 1000;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const probes = {
  async kafka(u) {
    const { Kafka, logLevel } = await import("kafkajs");
    const { host, port } = new URL(u);
    const kafka = new Kafka({
      clientId: "sluice-brokers-ping",
      brokers: [`${host.replace(/:\d+$/, "")}:${port || 9092}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics(); // a metadata request
      // The group coordinator must answer too, or the first consumer of a test run would wait.
      await admin.describeGroups(["sluice-brokers-ping"]);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
  async amqp(u) {
    const amqp = await import("amqplib");
    const conn = await amqp.connect(u, { timeout: 3000 });
    try {
      const ch = await conn.createChannel();
      await ch.close();
    } finally {
      await conn.close().catch(() => {});
    }
  },
  async nats(u) {
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const nc = await connect({ servers: u, timeout: 3000, reconnect: false });
    try {
      const jsm = await jetstreamManager(nc); // fails unless JetStream is enabled
      await jsm.getAccountInfo();
      await nc.flush();
    } finally {
      await nc.close().catch(() => {});
    }
  },
  async redis(u) {
    const { default: Redis } = await import("ioredis");
    const client = new Redis(u, {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== "PONG") throw new Error(`PING answered ${pong}`);
    } finally {
      client.disconnect();
    }
  },
  async "redis-cluster"(u) {
    const { Cluster } = await import("ioredis");
    const { hostname, port } = new URL(u);
    const client = new Cluster([{ host: hostname, port: Number(port) }], {
      lazyConnect: true,
      clusterRetryStrategy: () => null,
      redisOptions: { connectTimeout: 3000, maxRetriesPerRequest: 0 },
    });
    try {
      await client.connect();
      const info = await client.cluster("INFO");
      if (!/cluster_state:ok/.test(info)) throw new Error(`cluster not ready: ${info.split("\r\n")[0]}`);
      // Every master must answer for its slots: a write on keys spread over the slots.
      for (let i = 0; i < 16; i++) await client.set(`sluice:ping:${i}`, "1", "PX", 1000);
    } finally {
      client.disconnect();
    }
  },
  async "redis-sentinel"(u) {
    const { default: Redis } = await import("ioredis");
    const { hostname, port } = new URL(u);
    const client = new Redis({
      sentinels: [{ host: hostname, port: Number(port) }],
      name: "sluice",
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      sentinelRetryStrategy: () => null,
    });
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== "PONG") throw new Error(`PING answered ${pong}`);
    } finally {
      client.disconnect();
    }
  },
  async mqtt(u) {
    const mqtt = await import("mqtt");
    const client = await mqtt.connectAsync(u, { connectTimeout: 3000, reconnectPeriod: 0 });
    try {
      const topic = `sluice/ping/${process.pid}/${Date.now()}`;
      const got = new Promise((resolve) => client.on("message", (t) => t === topic && resolve()));
      await client.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, "ping", { qos: 1 });
      await got;
    } finally {
      await client.endAsync(true).catch(() => {});
    }
  },
  async sqs(u) {
    const { SQSClient, ListQueuesCommand } = await import("@aws-sdk/client-sqs");
    const { hostname, port } = new URL(u);
    const client = new SQSClient({
      endpoint: `http://${hostname}:${port || 9324}`,
      region: "elasticmq",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    try {
      await client.send(new ListQueuesCommand({}));
    } finally {
      client.destroy();
    }
  },
};

const probe = probes[name];
if (!probe || !url) {
  console.error(`usage: ping.mjs <${Object.keys(probes).join("|")}> <url> [timeoutSeconds]`);
  process.exit(2);
}
let lastError;
for (;;) {
  try {
    await withTimeout(probe(url), 10000, name);
    process.exit(0);
  } catch (err) {
    lastError = err;
  }
  if (Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`${name}: not ready at ${url}: ${lastError?.message ?? lastError}`);
process.exit(1);
