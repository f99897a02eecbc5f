/**
 * The docs page in a real browser: Debian's Chromium, headless, driven by playwright-core, with every request
 * that leaves the test's own server blocked. It renders, lists every channel of the example app, draws a
 * node per subscriber and publisher, and its try-it-out form publishes to the handler. It takes the README's
 * screenshot: into docs/images/docs-page.png with SLUICE_UPDATE_SCREENSHOT=1 (or when missing), else into a
 * temporary folder, so that a test run leaves the tree clean.
 *
 * Skips with a loud line without /usr/bin/chromium (`apt-get install chromium`), unless
 * SLUICE_REQUIRE_BROWSER=1 (CI), where that is a failure.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { asyncapi } from "@sluice/core/asyncapi";
import { testBroker } from "@sluice/core/testing";
import { serve } from "@sluice/http";
import { app, broker, orders, stock } from "../../examples/http/app.ts";

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = fileURLToPath(new URL("../../docs/images/docs-page.png", import.meta.url));

function skipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const why = `no Chromium at ${CHROMIUM}: apt-get install chromium (or set SLUICE_CHROMIUM)`;
  if (process.env.SLUICE_REQUIRE_BROWSER === "1") throw new Error(`SLUICE_REQUIRE_BROWSER=1 but ${why}`);
  console.warn(`SKIP: the docs page browser test: ${why}`);
  return why;
}

describe("the docs page in Chromium", { skip: skipReason() }, () => {
  it("renders offline, lists every channel, draws the topology, and try-it-out publishes", async () => {
    const { chromium } = await import("playwright-core");
    // The example's api, with try-it-out on: made here, as its module makes it with DOCS_TOKEN set.
    const { http } = await import("@sluice/http");
    const token = "browser-test-token";
    const api = http(app, { docs: { tryItOut: true, token } });
    await using br = await testBroker(broker);
    const stop = new AbortController();
    const server = await serve(api, { port: 0, hostname: "127.0.0.1", signal: stop.signal });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const outside: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(server.url)) return route.continue();
        outside.push(url);
        return route.abort();
      });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${server.url}/docs`);
      assert.equal(await page.title(), "Shop 1.0.0 — docs");

      const spec = asyncapi(app);
      const addresses = Object.values(spec.channels!).map((c) => c.address).filter((a) => a !== null);
      const shown = await page.locator("section.channel h3").allInnerTexts();
      for (const address of addresses) assert.ok(shown.includes(address!), `${address} is listed: ${shown}`);

      const operations = Object.values(spec.operations!);
      const svg = page.locator("svg.topology");
      assert.ok(await svg.isVisible());
      assert.equal(
        await svg.locator('[data-kind="subscriber"]').count(),
        operations.filter((o) => o.action === "receive").length,
      );
      assert.equal(
        await svg.locator('[data-kind="publisher"]').count(),
        operations.filter((o) => o.action === "send").length,
      );
      assert.ok(await svg.locator("path.edge.reply").count() > 0, "request/reply is marked");

      const form = page.locator('form.try[data-channel="orders"]');
      // A body that does not fit the schema is stopped in the page, before anything is sent.
      await form.locator("textarea").fill('{ "id": "A-7", "item": "tea" }');
      await form.locator("button").click();
      await form.locator(".result").filter({ hasText: "Not sent" }).waitFor();
      assert.match(await form.locator(".result").innerText(), /body\.quantity is required/);
      assert.equal(orders.mock.calls.length, 0);

      await page.locator("#token").fill(token);
      await form.locator("textarea").fill('{ "id": "A-7", "item": "tea", "quantity": 2 }');
      await form.locator("button").click();
      await form.locator(".result").filter({ hasText: /^Published/ }).waitFor();
      await br.settled();
      assert.deepEqual(orders.mock.calls.map((call) => call.body), [{ id: "A-7", item: "tea", quantity: 2 }]);

      const ask = page.locator('form.try[data-channel="stock.{item}"]');
      await ask.locator('input[name="param:item"]').fill("tea");
      await ask.locator('input[name="request"]').check();
      await ask.locator("button").click();
      await ask.locator(".result").filter({ hasText: /^Reply/ }).waitFor();
      assert.match(await ask.locator(".result").innerText(), /"available": 12/);
      assert.equal(stock.mock.calls.length, 1);

      assert.deepEqual(outside, [], "the page loads nothing from elsewhere");
      assert.deepEqual(errors, []);
      await page.evaluate("window.scrollTo(0, 0)");
      // The committed picture is rewritten when asked (or missing), so that a test run leaves the tree clean.
      const update = process.env.SLUICE_UPDATE_SCREENSHOT === "1" || !existsSync(SCREENSHOT);
      const path = update ? SCREENSHOT : join(mkdtempSync(join(tmpdir(), "sluice-docs-")), "docs-page.png");
      mkdirSync(dirname(path), { recursive: true });
      const png = await page.screenshot({ path });
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
      console.log(
        `The docs page: ${path}${update ? "" : " (SLUICE_UPDATE_SCREENSHOT=1 rewrites the README's)"}`,
      );
    } finally {
      await browser.close();
      stop.abort();
      await server.finished;
    }
  });
});
