// Topic filters match exactly as the MQTT specification says, and the emulation agrees with Mosquitto.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { mqttRules, topicMatches } from "../mod.ts";
import { pause, targets, unique, until } from "./_targets.ts";

// Filters and topics relative to a unique root R (a `$` topic is `$R/...`).
const FILTERS = [
  "R/a",
  "R/+",
  "R/+/c",
  "R/#",
  "R/a/#",
  "R/+/+",
  "R/a/b/c",
  "+/a",
  "+/a/b",
  "#",
  "$R/#",
  "$R/+",
  "R//c",
  "R/+/",
];
const TOPICS = ["R", "R/a", "R/a/b", "R/a/b/c", "R/x/c", "R//c", "R/a/", "$R/a", "$R/a/b"];

describe("topic filters (pure)", () => {
  it("follows the specification's examples", () => {
    assert.equal(topicMatches("sport/tennis/player1/#", "sport/tennis/player1"), true);
    assert.equal(topicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking"), true);
    assert.equal(topicMatches("sport/#", "sport"), true);
    assert.equal(topicMatches("sport/tennis/+", "sport/tennis/player1/ranking"), false);
    assert.equal(topicMatches("sport/+", "sport"), false);
    assert.equal(topicMatches("sport/+", "sport/"), true);
    assert.equal(topicMatches("+/+", "/finance"), true);
    assert.equal(topicMatches("/+", "/finance"), true);
    assert.equal(topicMatches("+", "/finance"), false);
    assert.equal(topicMatches("#", "$SYS/uptime"), false);
    assert.equal(topicMatches("+/monitor/Clients", "$SYS/monitor/Clients"), false);
    assert.equal(topicMatches("$SYS/#", "$SYS/uptime"), true);
    assert.equal(topicMatches("$SYS/monitor/+", "$SYS/monitor/Clients"), true);
    assert.equal(topicMatches("$share/g/sport/#", "sport/tennis"), true);
  });

  it("turns path parameters into single-level wildcards", () => {
    assert.equal(mqttRules.pattern("sensors/{room}/temp"), "sensors/+/temp");
    assert.equal(mqttRules.separator, "/");
  });
});

for (const target of targets()) {
  describe(`topic filters (${target.name})`, () => {
    it(
      "delivers exactly the pairs the specification matches, $-topics included",
      { timeout: 30_000 },
      async () => {
        const root = unique();
        const at = (s: string): string => s.replace("R", root);
        const broker = target.broker();
        const seen = new Set<string>();
        const topics = new Set(TOPICS.map(at));
        for (const filter of FILTERS) {
          broker.subscriber(at(filter), {}).handle((_body, ctx) => {
            if (topics.has(ctx.message.channel)) {
              seen.add(`${filter} <- ${ctx.message.channel.replace(root, "R")}`);
            }
          });
        }
        const expected = new Set<string>();
        for (const filter of FILTERS) {
          for (const topic of TOPICS) if (topicMatches(filter, topic)) expected.add(`${filter} <- ${topic}`);
        }
        await using br = await testBroker(broker, { real: target.real });
        for (const topic of TOPICS) await br.publish(topic, at(topic));
        await until(() => seen.size >= expected.size, `${expected.size} deliveries`);
        await pause(target);
        assert.deepEqual([...seen].sort(), [...expected].sort());
      },
    );
  });
}
