import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { read, ROOT } from "./_files.ts";

// Every TypeScript block in these READMEs is real code: a whole file (`<!-- file: path -->`) or a fragment of
// one (`<!-- from: path -->`). Those files run in the suite, so the READMEs' examples run too.
const middlewareReadmes = readdirSync(join(ROOT, "middlewares"))
  .map((name) => `middlewares/${name}/README.md`)
  .filter((file) => existsSync(join(ROOT, file)));
for (const file of ["README.md", "examples/toy_plugin/README.md", ...middlewareReadmes]) checkReadme(file);

function checkReadme(file: string): void {
  const readme = read(file);
  const blocks = [...readme.matchAll(/(?:<!-- (file|from): ([^ ]+) -->\s*\n\s*)?```ts\n([\s\S]*?)```/g)];
  const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";

  describe(file, () => {
    it("has TypeScript examples", () => {
      assert.ok(blocks.length >= (file === "README.md" ? 5 : 1), `found ${blocks.length}`);
    });

    for (const [i, [, kind, path, code]] of blocks.entries()) {
      it(`example ${i + 1} is ${kind ? `${kind === "file" ? "the file" : "a part of"} ${path}` : "tied to a file"}`, () => {
        assert.ok(kind && path, "mark each ```ts block with <!-- file: path --> or <!-- from: path -->");
        const text = read(path);
        if (kind === "file") assert.equal(code, text);
        else {
          const normalize = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean).join("\n");
          assert.ok(normalize(text).includes(normalize(code!)), `this block is not in ${path}`);
        }
      });
    }

    it("links only to files that exist", () => {
      const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)]+)\)/g)].map((m) => m[1]!);
      assert.deepEqual(links.filter((link) => !existsSync(join(ROOT, folder, link))), []);
    });
  });
}
