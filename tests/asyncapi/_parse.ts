// The official AsyncAPI parser, as the tests use it: a document is valid when the parser builds it and reports
// no diagnostic of severity error.
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const parser = new Parser();

/** What the parser made of a document (JSON text, YAML text or an object). */
export interface Parsed {
  /** The diagnostics of severity error, one line each. */
  readonly errors: readonly string[];
  /** The document as the parser read it, `$ref`s resolved, or undefined when it could not. */
  readonly json: unknown;
}

/** Parses a document with the official parser. */
export async function parse(document: string | object): Promise<Parsed> {
  const text = typeof document === "string" ? document : JSON.stringify(document);
  const { document: parsed, diagnostics } = await parser.parse(text);
  const errors = diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error)
    .map((d) => `${d.code}: ${d.message} at ${d.path.join("/")}`);
  if (!parsed && errors.length === 0) errors.push("the parser made no document");
  return { errors, json: parsed?.json() };
}
