import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, read, ROOT } from "./_files.ts";

// Every TypeScript block of every README is checked. A block marked `<!-- file: path -->` is that whole file
// and one marked `<!-- from: path -->` a fragment of it; those files run in the suite, so the examples run
// too. Any other block is type-checked on its own with `deno check`, as a module in this repository (so
// `@sluice/*` and the plugins' client libraries resolve): it must import and declare what it uses.
const readmes = filesUnder(".", (name) => name === "README.md");
const BLOCKS = join(ROOT, "tests", "repo", ".readme_blocks");
const deno = join(ROOT, "node_modules", ".bin", "deno");

interface Block {
  readonly readme: string;
  readonly index: number;
  readonly kind: "file" | "from" | undefined;
  readonly path: string | undefined;
  readonly code: string;
  /** Where a block that is not tied to a file is written for `deno check`. */
  readonly checkedAs: string;
}

const blocks: Block[] = readmes.flatMap((readme) =>
  [...read(readme).matchAll(/(?:<!-- (file|from): ([^ ]+) -->\s*\n\s*)?```ts\n([\s\S]*?)```/g)].map((
    m,
    i,
  ) => ({
    readme,
    index: i + 1,
    kind: m[1] as "file" | "from" | undefined,
    path: m[2],
    code: m[3]!,
    checkedAs: `${readme.replaceAll("/", "_").replace(/\.md$/, "")}_${i + 1}.ts`,
  }))
);
const untied = blocks.filter((b) => b.kind === undefined);

/** `deno check` of every untied block at once: its errors by file name. */
let errors: Map<string, string[]> | undefined;

describe("README code blocks", () => {
  before(() => {
    if (untied.length === 0) return;
    rmSync(BLOCKS, { recursive: true, force: true });
    mkdirSync(BLOCKS, { recursive: true });
    for (const block of untied) {
      writeFileSync(join(BLOCKS, block.checkedAs), `${block.code}\nexport {};\n`);
    }
    const result = spawnSync(deno, ["check", "--quiet", ...untied.map((b) => join(BLOCKS, b.checkedAs))], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    errors = new Map();
    // Each diagnostic ends with `at file:///…/<block>.ts:line:column`.
    for (const diagnostic of `${result.stdout}\n${result.stderr}`.split(/\n(?=TS\d+ |error: )/)) {
      const at = /\.readme_blocks\/([^:\s]+\.ts):(\d+):(\d+)/.exec(diagnostic);
      if (!at) continue;
      const list = errors.get(at[1]!) ?? [];
      list.push(diagnostic.trim().split("\n").slice(0, 3).join(" | "));
      errors.set(at[1]!, list);
    }
    if (result.status !== 0 && errors.size === 0) {
      throw new Error(`deno check failed without a diagnostic of a block:\n${result.stdout}${result.stderr}`);
    }
  });

  after(() => rmSync(BLOCKS, { recursive: true, force: true }));

  it("finds the READMEs and their TypeScript examples", () => {
    assert.ok(readmes.includes("README.md") && readmes.includes("plugins/nats/README.md"));
    assert.ok(blocks.length >= 30, `found ${blocks.length}`);
  });

  for (const block of blocks) {
    const { readme, index, kind, path, code } = block;
    const what = kind ? `${kind === "file" ? "the file" : "a part of"} ${path}` : "type-checked on its own";
    it(`${readme}: example ${index} is ${what}`, () => {
      if (!kind) {
        assert.deepEqual(errors?.get(block.checkedAs) ?? [], [], `\`\`\`ts\n${code}\`\`\``);
        return;
      }
      const text = read(path!);
      if (kind === "file") assert.equal(code, text);
      else {
        const normalize = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean).join("\n");
        assert.ok(normalize(text).includes(normalize(code)), `this block is not in ${path}`);
      }
    });
  }

  for (const readme of readmes) {
    it(`${readme}: links only to files that exist`, () => {
      const folder = readme.includes("/") ? readme.slice(0, readme.lastIndexOf("/") + 1) : "";
      const links = [...read(readme).matchAll(/\]\(((?!https?:|#|mailto:)[^)\s]+)\)/g)].map((m) => m[1]!);
      assert.deepEqual(links.filter((link) => !existsSync(join(ROOT, folder, link.split("#")[0]!))), []);
    });
  }
});
