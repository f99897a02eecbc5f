// Tests of the broker lookup itself (no broker needed): environment, skip line, required brokers,
// Docker detection, URL helpers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import process from "node:process";
import { brokerEnvVar, kafkaBrokers, locateBroker, realBroker, sqsClientConfig } from "./brokers.ts";

/** Runs `fn` while collecting what console.warn prints. */
async function capturingWarnings<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    return { value: await fn(), lines };
  } finally {
    console.warn = original;
  }
}

/** A fake Docker engine on a unix socket that answers every request with 200 OK. */
async function fakeDocker(): Promise<{ host: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-docker-"));
  const socketPath = path.join(dir, "docker.sock");
  const server = net.createServer((socket) => {
    socket.on("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        })
      ),
  };
}

const noDocker = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

describe("realBroker support", () => {
  it("names one variable per broker", () => {
    assert.equal(brokerEnvVar("kafka"), "SLUICE_KAFKA_URL");
    assert.equal(brokerEnvVar("amqp"), "SLUICE_AMQP_URL");
    assert.equal(brokerEnvVar("sqs"), "SLUICE_SQS_URL");
  });

  it("takes the URL from the environment", async () => {
    const { value, lines } = await capturingWarnings(() =>
      locateBroker("redis", { SLUICE_REDIS_URL: " redis://127.0.0.1:6399 " })
    );
    assert.equal(value?.url, "redis://127.0.0.1:6399");
    assert.deepEqual(lines, []);
  });

  it("skips with one loud line naming the variable", async () => {
    const { value, lines } = await capturingWarnings(() => locateBroker("redis", noDocker));
    assert.equal(value, undefined);
    assert.deepEqual(lines, ["SKIP: no real redis: set SLUICE_REDIS_URL (or run scripts/brokers up)"]);
  });

  it("throws instead with SLUICE_REQUIRE_BROKERS=1", async () => {
    await assert.rejects(
      locateBroker("kafka", { ...noDocker, SLUICE_REQUIRE_BROKERS: "1" }),
      /SLUICE_REQUIRE_BROKERS=1 but there is no real kafka: set SLUICE_KAFKA_URL/,
    );
  });

  it("does not look for Docker with SLUICE_BROKERS_DOCKER=0", async () => {
    const docker = await fakeDocker();
    try {
      const { value, lines } = await capturingWarnings(() =>
        locateBroker("mqtt", { DOCKER_HOST: docker.host, SLUICE_BROKERS_DOCKER: "0" })
      );
      assert.equal(value, undefined);
      assert.deepEqual(lines, ["SKIP: no real mqtt: set SLUICE_MQTT_URL (or run scripts/brokers up)"]);
    } finally {
      await docker.close();
    }
  });

  it("tries Docker when an engine answers, and says why it could not", async () => {
    const docker = await fakeDocker();
    try {
      // The fake engine answers every request with "OK", which is no container list: the lookup fails and
      // the SKIP line says so. (tests/containers/ runs the containers against a real engine.)
      const { value, lines } = await capturingWarnings(() =>
        locateBroker("nats", { DOCKER_HOST: docker.host })
      );
      assert.equal(value, undefined);
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^SKIP: no real nats: set SLUICE_NATS_URL \(or run scripts\/brokers up\)/);
      assert.match(lines[0], new RegExp(`a Docker engine answers at ${docker.host}`));
      if (process.env.SLUICE_SHOW_SKIP_LINES) console.log(lines[0]);
    } finally {
      await docker.close();
    }
  });

  it("gives up on an unreachable Docker quickly", async () => {
    const started = Date.now();
    const { value } = await capturingWarnings(() =>
      locateBroker("sqs", { DOCKER_HOST: "tcp://127.0.0.1:1" })
    );
    assert.equal(value, undefined);
    assert.ok(Date.now() - started < 2_000);
  });

  const redisSet = process.env.SLUICE_REDIS_URL ? false : "SLUICE_REDIS_URL is not set";
  it("hands out one broker per name, each handle stoppable once", { skip: redisSet }, async () => {
    const a = await realBroker("redis");
    const b = await realBroker("redis");
    assert.equal(a?.url, b?.url);
    await a?.stop();
    await a?.stop();
    await b?.stop();
  });

  it("rejects unknown names", async () => {
    // deno-lint-ignore no-explicit-any
    await assert.rejects(realBroker("zeromq" as any), TypeError);
  });
});

describe("broker URL helpers", () => {
  it("turns a kafka URL into kafkajs brokers", () => {
    assert.deepEqual(kafkaBrokers("kafka://127.0.0.1:9092"), ["127.0.0.1:9092"]);
    assert.deepEqual(kafkaBrokers("kafka://a:1,b"), ["a:1", "b:9092"]);
  });

  it("turns an sqs URL into an SQS client configuration", () => {
    assert.deepEqual(sqsClientConfig("sqs://127.0.0.1:9324"), {
      endpoint: "http://127.0.0.1:9324",
      region: "elasticmq",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    assert.deepEqual(sqsClientConfig("sqs://key:secret@sqs.local?region=us-east-1&tls=1"), {
      endpoint: "https://sqs.local:443",
      region: "us-east-1",
      credentials: { accessKeyId: "key", secretAccessKey: "secret" },
    });
  });
});
