import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { levelMatcher, memoryRules, pathExtractor } from "@sluice/core/kit";

describe("channel templates", () => {
  it("extracts one level per parameter", () => {
    const extract = pathExtractor("logs.{level}.{app}", ".")!;
    assert.deepEqual(extract("logs.info.api"), { level: "info", app: "api" });
    assert.equal(extract("logs.info"), undefined);
    assert.equal(extract("logs.info.api.extra"), undefined);
    assert.equal(pathExtractor("plain.channel", "."), undefined);
  });

  it("treats regex characters in templates literally", () => {
    const extract = pathExtractor("a+b/{room}/t(1)", "/")!;
    assert.deepEqual(extract("a+b/kitchen/t(1)"), { room: "kitchen" });
    assert.equal(extract("aab/kitchen/t1"), undefined);
  });

  it("turns parameters into the single-level wildcard", () => {
    assert.equal(memoryRules.pattern("logs.{level}.{app}"), "logs.*.*");
  });
});

describe("level matching", () => {
  const nats = levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false });
  const rabbit = levelMatcher({ separator: ".", one: "*", many: "#", manyMatchesZero: true });
  const mqtt = levelMatcher({ separator: "/", one: "+", many: "#", manyMatchesZero: true });

  const table: [string, string, boolean, boolean][] = [
    // pattern, channel, NATS-style (>), RabbitMQ-style (#)
    ["a.b", "a.b", true, true],
    ["a.*", "a.b", true, true],
    ["a.*", "a.b.c", false, false],
    ["a.*", "a", false, false],
    ["a.>", "a.b.c", true, true],
    ["a.>", "a", false, true],
    ["*.b", "a.b", true, true],
  ];
  for (const [pattern, channel, natsResult] of table) {
    it(`NATS: ${pattern} ${natsResult ? "matches" : "does not match"} ${channel}`, () => {
      assert.equal(nats(pattern, channel), natsResult);
    });
  }
  for (const [pattern, channel, , rabbitResult] of table) {
    const p = pattern.replace(">", "#");
    it(`RabbitMQ: ${p} ${rabbitResult ? "matches" : "does not match"} ${channel}`, () => {
      assert.equal(rabbit(p, channel), rabbitResult);
    });
  }

  it("RabbitMQ: # in the middle matches zero or more words", () => {
    assert.equal(rabbit("a.#.z", "a.z"), true);
    assert.equal(rabbit("a.#.z", "a.b.c.z"), true);
    assert.equal(rabbit("a.#.z", "a.b.c"), false);
  });

  it("MQTT: # matches the parent level and everything below", () => {
    assert.equal(mqtt("sport/#", "sport"), true);
    assert.equal(mqtt("sport/#", "sport/tennis/player1"), true);
    assert.equal(mqtt("sport/+/player1", "sport/tennis/player1"), true);
    assert.equal(mqtt("sport/+", "sport/tennis/player1"), false);
  });
});
