/**
 * Payload schemas as the docs page shows them: `$ref`s to the document's schemas resolved, and an example
 * body — the schema's own `examples`/`default`/`const` where it has one, else one made from its types.
 *
 * @module
 */

import type { AsyncApiDocument, JsonSchema } from "@sluice/core/asyncapi";

type Schema = { readonly [key: string]: unknown };

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The schema with every `#/components/schemas/…` reference replaced by its target (cycles left as refs). */
export function resolveSchema(document: AsyncApiDocument, schema: unknown, seen: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((item) => resolveSchema(document, item, seen));
  if (!isSchema(schema)) return schema;
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/components/schemas/") && !seen.includes(ref)) {
    const target = document.components?.schemas?.[ref.slice("#/components/schemas/".length)];
    if (target) return resolveSchema(document, target, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolveSchema(document, v, seen)]));
}

const FORMATS: Record<string, string> = {
  "date-time": "2026-01-01T12:00:00Z",
  date: "2026-01-01",
  email: "ada@example.com",
  uri: "https://example.com",
  uuid: "00000000-0000-4000-8000-000000000000",
};

/** An example value of a (resolved) JSON Schema. */
export function exampleOf(schema: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > 8) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["anyOf", "oneOf"]) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const first = options.find((o) => !(isSchema(o) && o.type === "null")) ?? options[0];
      return exampleOf(first, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((part) => exampleOf(part, depth + 1)));
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object":
    case undefined: {
      if (!isSchema(schema.properties)) return type === "object" ? {} : null;
      return Object.fromEntries(
        Object.entries(schema.properties).map(([name, property]) => [name, exampleOf(property, depth + 1)]),
      );
    }
    case "array":
      return Array.isArray(schema.prefixItems)
        ? schema.prefixItems.map((item) => exampleOf(item, depth + 1))
        : [exampleOf(schema.items, depth + 1)];
    case "string":
      return typeof schema.format === "string" && FORMATS[schema.format] ? FORMATS[schema.format] : "string";
    case "integer":
      return typeof schema.minimum === "number" ? Math.ceil(schema.minimum) : 1;
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1.5;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return null;
  }
}

/** The payload schema of a message, resolved; undefined when the message has none. */
export function payloadOf(document: AsyncApiDocument, payload: unknown): JsonSchema | undefined {
  const resolved = resolveSchema(document, payload);
  return isSchema(resolved) ? resolved : undefined;
}
