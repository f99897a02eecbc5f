// The YAML emitter: strings that a YAML reader could take for something else are quoted, and whatever the
// emitter writes the official parser reads back as the same JSON.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toYaml } from "@sluice/core/asyncapi";
import { parse } from "./_parse.ts";

const TRICKY = [
  "",
  " leading",
  "trailing ",
  "yes",
  "No",
  "off",
  "null",
  "~",
  "true",
  "1.0",
  "0x1F",
  "1e3",
  ".inf",
  "-",
  "- item",
  "2024-01-01",
  "key: value",
  "a # comment",
  "ends with colon:",
  "#/components/schemas/X",
  "$message.header#/reply_to",
  "{a}",
  "[b]",
  "*alias",
  "&anchor",
  "!tag",
  "%directive",
  "@at",
  "`tick",
  "'single'",
  '"double"',
  "line\nbreak",
  "tab\there",
  "\u0000\u0007\u007f\u0085\u2028\ufeff",
  "ünïcødé ✓",
  "plain.text/with-symbols_ok",
];

describe("toYaml()", () => {
  it("writes plain what cannot be misread, and quotes the rest", () => {
    assert.equal(
      toYaml({
        a: "plain",
        b: "3.0.0",
        c: "yes",
        d: 1,
        e: true,
        f: null,
        g: [],
        h: {},
        i: ["x", { j: 1, k: [2] }],
      }),
      [
        "a: plain",
        'b: "3.0.0"',
        'c: "yes"',
        "d: 1",
        "e: true",
        "f: null",
        "g: []",
        "h: {}",
        "i:",
        "  - x",
        "  - j: 1",
        "    k:",
        "      - 2",
        "",
      ].join("\n"),
    );
  });

  it("writes arrays of arrays and a bare scalar", () => {
    assert.equal(toYaml([[1, 2], []]), "- - 1\n  - 2\n- []\n");
    assert.equal(toYaml("text"), "text\n");
  });

  it("round-trips every tricky string, key and number through the official parser", {
    timeout: 60_000,
  }, async () => {
    const values: unknown[] = [...TRICKY, 0, -1.5, 1e21, 123456789012, false, null, { nested: [TRICKY] }];
    const keyed = Object.fromEntries(TRICKY.filter(Boolean).map((text, i) => [text, i]));
    const document = {
      asyncapi: "3.0.0",
      info: { title: TRICKY.join("|"), version: "1.0.0", description: "a\n  b\n" },
      "x-values": values,
      "x-keys": keyed,
    };
    const parsed = await parse(toYaml(document));
    assert.deepEqual(parsed.errors, []);
    const json = parsed.json as typeof document;
    assert.deepEqual(json["x-values"], values);
    assert.deepEqual(json["x-keys"], keyed);
    assert.equal(json.info.title, document.info.title);
    assert.equal(json.info.description, document.info.description);
  });
});
