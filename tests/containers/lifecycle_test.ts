// The life of the broker containers (tests/_support/containers.ts, scripts/containers): recipes and labels,
// ports on 127.0.0.1 only, and the leftovers of a run killed with SIGKILL removed by the next start. The
// parts that need a Docker engine are skipped with a loud line without one (a failure with
// SLUICE_REQUIRE_CONTAINERS=1).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BROKER_NAMES, dockerEndpoint } from "../_support/brokers.ts";
import {
  brokerImage,
  imageEnvVar,
  LABEL_BROKER,
  LABEL_OWNER,
  LABEL_SCOPE,
  LABEL_URL,
  listContainers,
  OFFICIAL_IMAGES,
  ownerGone,
  ownerLabel,
  recipe,
  removeContainer,
  removeLeftovers,
  startBrokerContainer,
} from "../_support/containers.ts";

const engine = await dockerEndpoint(process.env);
if (!engine) {
  const line = "no Docker engine answers (DOCKER_HOST, /var/run/docker.sock): run scripts/docker up";
  if (process.env.SLUICE_REQUIRE_CONTAINERS === "1") {
    throw new Error(`SLUICE_REQUIRE_CONTAINERS=1 but ${line}`);
  }
  console.warn(`SKIP: container lifecycle tests: ${line}`);
} else {
  process.env.DOCKER_HOST = engine;
}

async function until<T>(probe: () => Promise<T | undefined>, timeout: number, what: string): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("broker container recipes", () => {
  it("take the image from SLUICE_<NAME>_IMAGE, else the official image", () => {
    assert.equal(imageEnvVar("amqp"), "SLUICE_AMQP_IMAGE");
    assert.equal(brokerImage("redis", {}), "redis:7-alpine");
    assert.equal(brokerImage("redis", { SLUICE_REDIS_IMAGE: " sluice/redis:local " }), "sluice/redis:local");
    for (const name of BROKER_NAMES) assert.equal(recipe(name, 1, {}).image, OFFICIAL_IMAGES[name]);
  });

  it("hand clients the loopback address and the host port", () => {
    const urls = BROKER_NAMES.map((name) => recipe(name, 40001, {}).url);
    assert.deepEqual(urls, [
      "kafka://127.0.0.1:40001",
      "amqp://guest:guest@127.0.0.1:40001",
      "nats://127.0.0.1:40001",
      "redis://127.0.0.1:40001",
      "mqtt://127.0.0.1:40001",
      "sqs://127.0.0.1:40001",
    ]);
    assert.equal(
      recipe("kafka", 40001, {}).environment?.KAFKA_ADVERTISED_LISTENERS,
      "PLAINTEXT://127.0.0.1:40001",
    );
    assert.match(recipe("sqs", 40001, {}).files![0]!.content, /host = "127\.0\.0\.1", port = 40001/);
    assert.deepEqual(recipe("nats", 40001, {}).command, ["-js", "-sd", "/tmp/nats"]);
  });

  it("tell a live owner from a gone one", async () => {
    assert.equal(ownerGone(ownerLabel(process.pid)), false);
    const child = spawn(process.execPath, ["--version"], { stdio: "ignore" });
    const label = ownerLabel(child.pid!);
    await new Promise((resolve) => child.on("close", resolve));
    assert.equal(ownerGone(label), true);
    assert.equal(
      ownerGone(`another-host:${process.pid}:1`),
      false,
      "another host's containers are not judged",
    );
    assert.equal(ownerGone(undefined), false);
  });
});

describe("broker containers on a Docker engine", { skip: engine ? false : "no Docker engine" }, () => {
  it("publish on 127.0.0.1 only, carry their labels, and are removed", { timeout: 120_000 }, async () => {
    const c = await startBrokerContainer("redis", { scope: "process", owner: ownerLabel(process.pid) });
    try {
      const [listed] = await listContainers(engine!, [`${LABEL_BROKER}=redis`, `${LABEL_URL}=${c.url}`]);
      assert.ok(listed, "found by its labels");
      assert.equal(listed.Id, c.id);
      assert.equal(listed.Labels[LABEL_SCOPE], "process");
      assert.equal(listed.Labels[LABEL_OWNER], ownerLabel(process.pid));
      const published = listed.Ports.filter((p) => p.PublicPort);
      assert.ok(published.length > 0);
      for (const p of published) assert.equal(p.IP, "127.0.0.1");
      assert.equal(`redis://127.0.0.1:${published[0]!.PublicPort}`, c.url);
    } finally {
      await c.remove();
    }
    assert.deepEqual(await listContainers(engine!, [`${LABEL_URL}=${c.url}`]), []);
  });

  it(
    "left behind by a run killed with SIGKILL are removed by the next start",
    { timeout: 120_000 },
    async () => {
      // A shell starts the run's redis with `scripts/containers up` (so the shell owns it), says when `up` is
      // done, and is killed during what would be its tests.
      const script = fileURLToPath(new URL("../../scripts/containers", import.meta.url));
      const shell = spawn("bash", ["-c", `"${script}" up redis >/dev/null 2>&1 && echo up; sleep 300`], {
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, DOCKER_HOST: engine },
      });
      const owner = ownerLabel(shell.pid!);
      try {
        await new Promise<void>((resolve, reject) => {
          shell.stdout!.on("data", (chunk: Uint8Array) => {
            if (new TextDecoder().decode(chunk).includes("up")) resolve();
          });
          shell.on("exit", () => reject(new Error("scripts/containers up redis failed")));
        });
        const left = await until(
          async () => {
            const found = await listContainers(engine!, [`${LABEL_OWNER}=${owner}`]);
            return found.find((c) => c.State === "running");
          },
          10_000,
          "the run's redis container",
        );
        assert.equal(left.Labels[LABEL_SCOPE], "run");
        shell.kill("SIGKILL");
        await new Promise((resolve) => shell.on("close", resolve));
        assert.equal(
          (await listContainers(engine!, [`${LABEL_OWNER}=${owner}`])).length,
          1,
          "SIGKILL left it",
        );
        const removed = await removeLeftovers(engine!);
        assert.ok(removed.some((c) => c.Id === left.Id), "removed as a leftover");
        assert.deepEqual(await listContainers(engine!, [`${LABEL_OWNER}=${owner}`]), []);
      } finally {
        shell.kill("SIGKILL");
        for (const c of await listContainers(engine!, [`${LABEL_OWNER}=${owner}`])) {
          await removeContainer(engine!, c.Id);
        }
      }
    },
  );
});
