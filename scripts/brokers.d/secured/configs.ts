/**
 * The secured variant of each broker: TLS only (no plaintext port), with a certificate from {@link makePki},
 * and a user who must log in. What each one runs:
 *
 * | broker    | URL                     | authentication                                             |
 * | --------- | ----------------------- | ---------------------------------------------------------- |
 * | Redis     | `rediss://`             | an ACL user (the `default` user is off)                    |
 * | NATS      | `tls://`                | user/password, and a user NKey                             |
 * | Mosquitto | `mqtts://`              | a password file (`mosquitto_passwd`), no anonymous clients |
 * | RabbitMQ  | `amqps://`              | a user with a password in place of guest                   |
 * | Kafka     | `kafka://…?ssl=true`    | SASL SCRAM-SHA-256/512 (and PLAIN) over TLS, PEM key store |
 *
 * ElasticMQ (SQS) has no TLS and checks no signature: it is not among them (see plugins/sqs/README.md).
 *
 * Both `scripts/brokers secured` (long-running daemons) and the tests (a private broker per test file) start
 * them from these plans, so the two cannot drift apart.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import type { Pki } from "./pki.ts";

export type SecuredName = "redis" | "nats" | "mqtt" | "amqp" | "kafka";

export const SECURED_NAMES: readonly SecuredName[] = ["redis", "nats", "mqtt", "amqp", "kafka"];

/** How many ports each needs: its own first, then Kafka's controller, RabbitMQ's distribution and epmd. */
export const PORTS_NEEDED: Readonly<Record<SecuredName, number>> = {
  redis: 1,
  nats: 1,
  mqtt: 1,
  amqp: 3,
  kafka: 2,
};

/** Who may log in. */
export interface SecuredUsers {
  readonly user: string;
  readonly password: string;
  /** NATS only: the public key (`U…`) of a user who logs in with an NKey. */
  readonly nkey?: string;
}

/** When a process serves. */
export type Readiness =
  | { readonly kind: "log"; readonly pattern: RegExp }
  | { readonly kind: "tls"; readonly port: number }
  | { readonly kind: "port"; readonly port: number };

/** One process to run. */
export interface ProcessPlan {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ready: Readiness;
  readonly readyTimeout: number;
  readonly stopTimeout?: number;
}

/** A secured broker: its processes (helpers first, the broker last) and where clients connect. */
export interface SecuredPlan {
  readonly name: SecuredName;
  readonly port: number;
  /** The URL clients use, without credentials. */
  readonly url: string;
  readonly processes: readonly ProcessPlan[];
}

/** What a plan needs. */
export interface PlanInput {
  /** A folder of the broker's own for configuration and data. */
  readonly dir: string;
  readonly pki: Pki;
  /** `PORTS_NEEDED[name]` free loopback ports. */
  readonly ports: readonly number[];
  readonly users: SecuredUsers;
  /** Programs by name (`redis-server`, `java` …) as found on this machine. */
  readonly which: (program: string) => string | undefined;
  /** Kafka's jars folder. */
  readonly kafkaJars?: string;
  /** Whether the plan is for a process running as root (Mosquitto then keeps its user). */
  readonly root?: boolean;
}

const RABBIT_BIN = "/usr/lib/rabbitmq/bin";

function need(input: PlanInput, program: string): string {
  const path = input.which(program);
  if (!path) throw new Error(`no ${program} program (scripts/brokers up installs it)`);
  return path;
}

/** Writes the configuration files of `name` under `input.dir` and returns how to run it. */
export function planSecured(name: SecuredName, input: PlanInput): SecuredPlan {
  mkdirSync(input.dir, { recursive: true });
  switch (name) {
    case "redis":
      return planRedis(input);
    case "nats":
      return planNats(input);
    case "mqtt":
      return planMosquitto(input);
    case "amqp":
      return planRabbitmq(input);
    case "kafka":
      return planKafka(input);
  }
}

function planRedis(input: PlanInput): SecuredPlan {
  const { dir, pki, users } = input;
  const port = input.ports[0]!;
  // A file: on the command line, `--user` takes one word per argument, not an ACL rule.
  const config = join(dir, "redis.conf");
  writeFileSync(
    config,
    [
      "port 0",
      `tls-port ${port}`,
      "bind 127.0.0.1",
      `tls-cert-file ${pki.cert}`,
      `tls-key-file ${pki.key}`,
      `tls-ca-cert-file ${pki.ca}`,
      "tls-auth-clients no",
      `dir ${dir}`,
      'save ""',
      "appendonly no",
      "daemonize no",
      'logfile ""',
      "user default off",
      `user ${users.user} on >${users.password} ~* &* +@all`,
      "",
    ].join("\n"),
  );
  return {
    name: "redis",
    port,
    url: `rediss://127.0.0.1:${port}`,
    processes: [{
      label: `redis-server (TLS) on ${port}`,
      command: need(input, "redis-server"),
      args: [config],
      env: {},
      ready: { kind: "log", pattern: /Ready to accept connections/ },
      readyTimeout: 15_000,
    }],
  };
}

function planNats(input: PlanInput): SecuredPlan {
  const { dir, pki, users } = input;
  const port = input.ports[0]!;
  const list = [`{ user: ${JSON.stringify(users.user)}, password: ${JSON.stringify(users.password)} }`];
  if (users.nkey) list.push(`{ nkey: ${JSON.stringify(users.nkey)} }`);
  const config = join(dir, "nats.conf");
  writeFileSync(
    config,
    [
      `listen: "127.0.0.1:${port}"`,
      `server_name: sluice_secured_${port}`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }`,
      `tls { cert_file: ${JSON.stringify(pki.cert)}, key_file: ${JSON.stringify(pki.key)}, ca_file: ${
        JSON.stringify(pki.ca)
      }, timeout: 2 }`,
      `authorization { users: [ ${list.join(", ")} ] }`,
      "",
    ].join("\n"),
  );
  return {
    name: "nats",
    port,
    url: `tls://127.0.0.1:${port}`,
    processes: [{
      label: `nats-server (TLS) on ${port}`,
      command: need(input, "nats-server"),
      args: ["-c", config],
      env: {},
      ready: { kind: "log", pattern: /Server is ready/ },
      readyTimeout: 15_000,
    }],
  };
}

function planMosquitto(input: PlanInput): SecuredPlan {
  const { dir, pki, users } = input;
  const port = input.ports[0]!;
  const passwords = join(dir, "passwords");
  writeFileSync(passwords, "");
  const made = spawnSync(need(input, "mosquitto_passwd"), ["-b", passwords, users.user, users.password]);
  if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
  const config = join(dir, "mosquitto.conf");
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${pki.ca}`,
      `certfile ${pki.cert}`,
      `keyfile ${pki.key}`,
      "require_certificate false",
      "allow_anonymous false",
      `password_file ${passwords}`,
      "persistence false",
      // Run as root, Mosquitto would switch to the user "mosquitto", who cannot read these files.
      ...(input.root ? ["user root"] : []),
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "",
    ].join("\n"),
  );
  return {
    name: "mqtt",
    port,
    url: `mqtts://127.0.0.1:${port}`,
    processes: [{
      label: `mosquitto (TLS) on ${port}`,
      command: need(input, "mosquitto"),
      args: ["-c", config],
      env: {},
      ready: { kind: "tls", port },
      readyTimeout: 15_000,
    }],
  };
}

function planRabbitmq(input: PlanInput): SecuredPlan {
  const { dir, pki, users } = input;
  const [port, dist, epmdPort] = input.ports as [number, number, number];
  for (const sub of ["home", "mnesia", "log"]) mkdirSync(join(dir, sub), { recursive: true });
  const envFile = join(dir, "rabbitmq-env.conf");
  writeFileSync(
    envFile,
    [
      `NODENAME=sluice-secured-${port}@localhost`,
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
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [
      "listeners.tcp = none",
      `listeners.ssl.default = 127.0.0.1:${port}`,
      `ssl_options.cacertfile = ${pki.ca}`,
      `ssl_options.certfile = ${pki.cert}`,
      `ssl_options.keyfile = ${pki.key}`,
      "ssl_options.verify = verify_none",
      "ssl_options.fail_if_no_peer_cert = false",
      // Made when the node first starts, in place of guest.
      `default_user = ${users.user}`,
      `default_pass = ${users.password}`,
      "log.console = true",
      "log.console.level = warning",
      "log.file = false",
      "disk_free_limit.absolute = 50MB",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "advanced.config"), "[].\n");
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  const env = {
    RABBITMQ_CONF_ENV_FILE: envFile,
    HOME: join(dir, "home"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ERL_EPMD_PORT: String(epmdPort),
  };
  return {
    name: "amqp",
    port,
    url: `amqps://127.0.0.1:${port}`,
    processes: [
      {
        label: `epmd on ${epmdPort}`,
        command: need(input, "epmd"),
        args: ["-port", String(epmdPort), "-address", "127.0.0.1"],
        env: {},
        ready: { kind: "port", port: epmdPort },
        readyTimeout: 10_000,
      },
      {
        label: `RabbitMQ node (TLS) on ${port}`,
        command: `${RABBIT_BIN}/rabbitmq-server`,
        args: [],
        env,
        ready: { kind: "tls", port },
        readyTimeout: 120_000,
        stopTimeout: 60_000,
      },
    ],
  };
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

function planKafka(input: PlanInput): SecuredPlan {
  const { dir, pki, users } = input;
  const [port, controller] = input.ports as [number, number];
  if (!input.kafkaJars) throw new Error("no Kafka jars: run scripts/brokers up kafka (it downloads them)");
  const java = need(input, "java");
  const jaas = (module: string, extra = "") =>
    `org.apache.kafka.common.security.${module} required username="${users.user}" password="${users.password}"${extra};`;
  const prefix = "listener.name.sasl_ssl";
  const config = join(dir, "server.properties");
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
      "inter.broker.listener.name=SASL_SSL",
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
      "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN",
      "sasl.mechanism.inter.broker.protocol=PLAIN",
      `${prefix}.plain.sasl.jaas.config=${
        jaas("plain.PlainLoginModule", ` user_${users.user}="${users.password}"`)
      }`,
      `${prefix}.scram-sha-256.sasl.jaas.config=${jaas("scram.ScramLoginModule")}`,
      `${prefix}.scram-sha-512.sasl.jaas.config=${jaas("scram.ScramLoginModule")}`,
      // PEM key and trust stores: no keytool, no JKS.
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${pki.keystore}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${pki.ca}`,
      "ssl.client.auth=none",
      `log.dirs=${join(dir, "data")}`,
      "auto.create.topics.enable=true",
      "num.partitions=1",
      "default.replication.factor=1",
      "min.insync.replicas=1",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "transaction.state.log.num.partitions=1",
      "group.initial.rebalance.delay.ms=0",
      "num.network.threads=2",
      "num.io.threads=2",
      "num.recovery.threads.per.data.dir=1",
      "log.segment.bytes=16777216",
      "",
    ].join("\n"),
  );
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
  const jvm = [
    "-Xms128m",
    "-Xmx384m",
    "-XX:+UseG1GC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=file:${log4j}`,
    "-cp",
    `${input.kafkaJars}/*`,
  ];
  // SCRAM credentials live in the metadata log, written when the storage is formatted.
  const formatted = spawnSync(java, [
    ...jvm,
    "kafka.tools.StorageTool",
    "format",
    "-t",
    clusterId(),
    "-c",
    config,
    "--ignore-formatted",
    "--add-scram",
    `SCRAM-SHA-256=[name=${users.user},password=${users.password}]`,
    "--add-scram",
    `SCRAM-SHA-512=[name=${users.user},password=${users.password}]`,
  ], { encoding: "utf8" });
  if (formatted.status !== 0) throw new Error(`Kafka's storage format failed: ${formatted.stderr}`);
  return {
    name: "kafka",
    port,
    url: `kafka://127.0.0.1:${port}?ssl=true`,
    processes: [{
      label: `Kafka node (SASL_SSL) on ${port}`,
      command: java,
      args: [...jvm, "kafka.Kafka", config],
      env: {},
      ready: { kind: "log", pattern: /Kafka Server started/ },
      readyTimeout: 120_000,
      stopTimeout: 60_000,
    }],
  };
}

/** Whether `readiness` holds now (`output`: what the process wrote so far; `ca`: the CA file to trust). */
export function isReady(readiness: Readiness, output: string, ca: string): Promise<boolean> {
  switch (readiness.kind) {
    case "log":
      return Promise.resolve(readiness.pattern.test(output));
    case "port":
      return new Promise((resolve) => {
        const socket = net.connect(readiness.port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
      });
    case "tls":
      return new Promise((resolve) => {
        const socket = tls.connect({
          host: "127.0.0.1",
          port: readiness.port,
          ca: readFileSync(ca, "utf8"),
          servername: "localhost",
        });
        const timer = setTimeout(() => done(false), 2000);
        function done(ok: boolean) {
          clearTimeout(timer);
          socket.destroy();
          resolve(ok);
        }
        socket.once("secureConnect", () => done(true));
        socket.once("error", () => done(false));
      });
  }
}
