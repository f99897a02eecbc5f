/**
 * Private brokers: a broker process of a test's own, on a free loopback port with its data in a temporary
 * folder, for tests that stop, kill or restart the broker or need one with passwords. The shared brokers of
 * `scripts/brokers` serve several people's tests at once and are never restarted or reconfigured.
 *
 * Each comes from the same installation `scripts/brokers up` made (Debian's redis-server, nats-server,
 * mosquitto and rabbitmq-server; Kafka's jars under the state directory). A test runs them only where the real
 * broker is configured (`SLUICE_<NAME>_URL`), as for every real-broker test; where the program is missing it
 * skips with one loud line, or fails under `SLUICE_REQUIRE_BROKERS=1`.
 *
 * ```ts
 * import { after, before, describe, it } from "node:test";
 * import { privateBroker, privateSkip, type PrivateBroker } from "../_support/private/mod.ts";
 *
 * const skip = privateSkip("redis");
 * describe("redis restart", { skip }, () => {
 *   let server: PrivateBroker;
 *   before(async () => (server = await privateBroker("redis")));
 *   after(() => server?.dispose());
 *   it("…", async () => {
 *     await server.stop();
 *     await server.start();
 *   });
 * });
 * ```
 */
import process from "node:process";
import { brokerEnvVar } from "../brokers.ts";
import { kafkaJars, privateKafka } from "./kafka.ts";
import { privateMosquitto } from "./mosquitto.ts";
import { privateNats } from "./nats.ts";
import { privateRabbitmq, rabbitmqMissing } from "./rabbitmq.ts";
import { privateRedis } from "./redis.ts";
import { missingProgram } from "./_files.ts";

/** The brokers that can run privately (SQS's ElasticMQ keeps its queues in memory only). */
export type PrivateBrokerName = "redis" | "nats" | "mqtt" | "amqp" | "kafka";

/** A broker process of one test. */
export interface PrivateBroker {
  readonly name: PrivateBrokerName;
  /** The URL to connect to, without credentials. */
  readonly url: string;
  readonly port: number;
  /** Whether the process runs. */
  readonly running: boolean;
  /** Starts it again on the same port with the same data; resolves once it serves. */
  start(): Promise<void>;
  /** Stops it gracefully (SIGTERM) and waits until it exited; its data stays. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL) and waits until it exited; its data stays. */
  kill(): Promise<void>;
  /** Stops it for good and deletes its data. */
  dispose(): Promise<void>;
  /** What it wrote last, for failure messages. */
  output(): string;
}

/** Who may log in, for brokers started with authentication. */
export interface PrivateBrokerOptions {
  /** User names and their passwords; none means anonymous access (RabbitMQ: guest/guest). */
  readonly users?: Readonly<Record<string, string>>;
  /** NATS only: a token that authenticates instead of a user (not together with `users`). */
  readonly token?: string;
}

/** Why a private `name` cannot run on this machine, or undefined when it can. */
export function privateMissing(name: PrivateBrokerName): string | undefined {
  switch (name) {
    case "redis":
      return missingProgram("redis-server");
    case "nats":
      return missingProgram("nats-server");
    case "mqtt":
      return missingProgram("mosquitto") ?? missingProgram("mosquitto_passwd");
    case "amqp":
      return rabbitmqMissing();
    case "kafka":
      return kafkaJars() === undefined
        ? "no Kafka jars: run scripts/brokers up kafka (it downloads them)"
        : missingProgram("java");
  }
}

/**
 * The `skip` option of a suite that needs a private `name`: false when it can run, else the reason, after one
 * loud line (without the real broker configured, or without its program). Throws under
 * `SLUICE_REQUIRE_BROKERS=1` instead of skipping.
 */
export function privateSkip(name: PrivateBrokerName, what = `private ${name} broker`): string | false {
  const variable = brokerEnvVar(name);
  const why = process.env[variable]
    ? privateMissing(name)
    : `no real ${name} configured: set ${variable} (or run scripts/brokers up)`;
  if (why === undefined) return false;
  if (process.env.SLUICE_REQUIRE_BROKERS === "1") {
    throw new Error(`SLUICE_REQUIRE_BROKERS=1 but there is no ${what}: ${why}`);
  }
  console.warn(`SKIP: no ${what}: ${why}`);
  return why;
}

/** Starts a private `name` broker; resolves once it serves. */
export function privateBroker(
  name: PrivateBrokerName,
  options: PrivateBrokerOptions = {},
): Promise<PrivateBroker> {
  switch (name) {
    case "redis":
      return privateRedis(options);
    case "nats":
      return privateNats(options);
    case "mqtt":
      return privateMosquitto(options);
    case "amqp":
      return privateRabbitmq(options);
    case "kafka":
      return privateKafka(options);
  }
}
