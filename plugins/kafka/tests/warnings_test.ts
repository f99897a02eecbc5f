// A process using a real Kafka prints no runtime warning about kafkajs's timers, under every runtime.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { runScript, RUNTIMES } from "../../../tests/_support/runtimes.ts";

const real = await realBroker("kafka");
const child = fileURLToPath(new URL("./_warnings_child.ts", import.meta.url));

describe("kafka process warnings", { skip: real ? false : "no real kafka" }, () => {
  after(() => real!.stop());

  for (const runtime of RUNTIMES) {
    it(`prints no TimeoutNegativeWarning when it subscribes and publishes, under ${runtime.name}`, {
      timeout: 60_000,
    }, async () => {
      const proc = runScript(runtime, child, [real!.url]);
      try {
        const { code, stdout, stderr } = await proc.finished;
        assert.equal(code, 0, stderr);
        assert.equal(stdout.trim(), "received hello", stderr);
        assert.doesNotMatch(stderr, /TimeoutNegativeWarning/);
      } finally {
        proc.kill();
      }
    });
  }
});
