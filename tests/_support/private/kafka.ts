/**
 * A private Kafka node (KRaft, one combined broker and controller) from the jars scripts/brokers downloaded,
 * with a PLAINTEXT listener and, when `users` are given, a SASL_PLAINTEXT listener for PLAIN and SCRAM-SHA-256
 * in its place.
 */
import process from "node:process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { dataDir, privateHandle, which } from "./_files.ts";
import { freePort, poll, Server } from "./_server.ts";
import type { PrivateBroker, PrivateBrokerOptions } from "./mod.ts";

/** The folder of Kafka's jars that scripts/brokers downloaded (a complete one), else undefined. */
export function kafkaJars(): string | undefined {
  const home = process.env.SLUICE_BROKERS_HOME ?? join(process.env.HOME ?? "/root", ".cache/sluice/brokers");
  const lib = join(home, "lib");
  const version = process.env.SLUICE_KAFKA_VERSION ?? "3.9.2";
  if (!existsSync(lib)) return undefined;
  const found = readdirSync(lib).filter((d) => d.startsWith(`kafka-${version}-`))
    .map((d) => join(lib, d)).find((d) => existsSync(join(d, ".complete")));
  return found;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding. */
function clusterId(): string {
  // One id in 64 would start with "-", which the storage tool reads as an option ("expected one argument"):
  // such ids are drawn again, as Kafka's own Uuid.randomUuid() does.
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

/** Starts the node; resolves once it logged that it started. */
export async function privateKafka(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
  const jars = kafkaJars();
  if (!jars) throw new Error("no Kafka jars: run scripts/brokers up kafka");
  const dir = dataDir("kafka");
  const [port, controller] = [await freePort(), await freePort()];
  const users = Object.entries(options.users ?? {});
  const secured = users.length > 0;
  const listener = secured ? "SASL_PLAINTEXT" : "PLAINTEXT";
  // The controller listener stays PLAINTEXT; so does the broker's own traffic (there is none with one node).
  const properties = [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=${listener}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=${listener}://127.0.0.1:${port}`,
    `inter.broker.listener.name=${listener}`,
    "controller.listener.names=CONTROLLER",
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${listener}:${listener}`,
    `log.dirs=${join(dir, "data")}`,
    "auto.create.topics.enable=true",
    "num.partitions=3",
    "default.replication.factor=1",
    "min.insync.replicas=1",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=3",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=3",
    "group.initial.rebalance.delay.ms=0",
    "num.network.threads=2",
    "num.io.threads=2",
    "num.recovery.threads.per.data.dir=1",
    "log.segment.bytes=16777216",
  ];
  if (secured) {
    const [admin, adminPassword] = users[0]!;
    const plain = users.map(([u, p]) => `user_${u}="${p}"`).join(" ");
    const prefix = "listener.name.sasl_plaintext";
    properties.push(
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
      "sasl.mechanism.inter.broker.protocol=PLAIN",
      `${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${admin}" password="${adminPassword}" ${plain};`,
      `${prefix}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin}" password="${adminPassword}";`,
    );
  }
  const config = join(dir, "server.properties");
  writeFileSync(config, `${properties.join("\n")}\n`);
  const log4j = join(dir, "log4j.properties");
  writeFileSync(
    log4j,
    [
      "log4j.rootLogger=WARN, stderr",
      "log4j.appender.stderr=org.apache.log4j.ConsoleAppender",
      "log4j.appender.stderr.Target=System.err",
      "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout",
      "log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n",
      "log4j.logger.kafka.server.KafkaRaftServer=INFO",
      "",
    ].join("\n"),
  );
  const java = [
    "-Xms128m",
    "-Xmx384m",
    "-XX:+UseG1GC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=file:${log4j}`,
    "-cp",
    `${jars}/*`,
  ];
  const format = [...java, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", config];
  // SCRAM credentials live in the metadata log, written when the storage is formatted.
  for (const [user, password] of users) {
    format.push("--add-scram", `SCRAM-SHA-256=[name=${user},password=${password}]`);
  }
  const formatted = spawnSync(which("java")!, format, { encoding: "utf8" });
  if (formatted.status !== 0) throw new Error(`Kafka's storage format failed: ${formatted.stderr}`);
  const server = new Server({
    label: `Kafka node on ${port}`,
    command: which("java")!,
    args: [...java, "kafka.Kafka", config],
    readyTimeout: 120_000,
    stopTimeout: 60_000,
    ready: (timeout, output) =>
      poll(() => Promise.resolve(/Kafka Server started/.test(output())), timeout, "Kafka Server started"),
  });
  await server.start();
  return privateHandle("kafka", `kafka://127.0.0.1:${port}`, port, dir, server);
}
