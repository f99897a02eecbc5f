// The exposition is checked by Prometheus' own parser, `promtool check metrics` (Debian package
// `prometheus`). Without promtool the test skips with a loud line; with SLUICE_REQUIRE_PROMTOOL=1 (CI sets it)
// the file fails instead.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { exerciseEveryStatus } from "./_app.ts";

const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" }).status === 0;
if (!promtool) {
  const why = "promtool not found: install Debian's `prometheus` package to check the exposition";
  if (process.env.SLUICE_REQUIRE_PROMTOOL === "1") throw new Error(`SLUICE_REQUIRE_PROMTOOL=1 but ${why}`);
  console.warn(`SKIP: ${why}`);
}

describe("prometheus exposition", { skip: promtool ? false : "promtool not found" }, () => {
  it("passes `promtool check metrics` after an app went through every status", async () => {
    const { text } = await exerciseEveryStatus({ customLabels: { region: "eu" } });
    for (const status of ["acked", "nacked", "rejected", "error"]) {
      assert.match(text, new RegExp(`status="${status}"`));
    }
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), "", "no lint problem either");
  });
});
