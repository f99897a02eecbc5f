// The README shows the AsyncAPI document of an example app as `sluice docs gen --yaml` prints it: this keeps
// the two in step. After changing the app, paste what `deno run -A cli/main.ts docs gen <target> --yaml` prints.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { App } from "@sluice/core";
import { asyncapi, toYaml } from "@sluice/core/asyncapi";
import { read, ROOT } from "./_files.ts";

const blocks = [...read("README.md").matchAll(/<!-- asyncapi: ([^ ]+) -->\s*\n\s*```yaml\n([\s\S]*?)```/g)];

describe("README.md: AsyncAPI documents", () => {
  it("shows at least one", () => {
    assert.ok(blocks.length >= 1);
  });

  for (const [, target, yaml] of blocks) {
    it(`shows the document of ${target} as it is generated`, async () => {
      const [file, name = "app"] = target!.split(":");
      const module = await import(pathToFileURL(join(ROOT, file!)).href);
      assert.equal(yaml, toYaml(asyncapi(module[name] as App)));
    });
  }
});
