/**
 * A small YAML emitter for JSON values (the core has no dependencies): block style, two spaces, and a string
 * left plain only where no YAML reader could take it for anything else; every other string is written as a
 * double-quoted scalar (JSON's string syntax, which YAML shares).
 *
 * @module
 */

/** Words YAML 1.1 or 1.2 readers take for booleans or null. */
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
/** Starts like a number, a date or a special float. */
const NUMERIC = /^(?:[-+]?\.?[0-9]|[-+]?\.(?:inf|nan)$)/i;
/** Printable ASCII without leading or trailing spaces, and no character that starts other YAML syntax. */
const PLAIN = /^[^\s\-?:,[\]{}#&*!|>'"%@`][\x20-\x7e]*$/;

/** Whether a string may be written plain (unquoted). */
function plain(text: string): boolean {
  return PLAIN.test(text) && !/\s$/.test(text) && !RESERVED.test(text) && !NUMERIC.test(text) &&
    !text.includes(": ") && !text.includes(" #") && !text.endsWith(":");
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return String(value);
  const text = String(value);
  if (plain(text)) return text;
  // JSON escapes control characters; YAML also wants DEL, C1 controls, line and paragraph separators and BOM.
  return JSON.stringify(text).replace(
    /[\x7f-\x9f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function isCollection(value: unknown): value is object {
  return typeof value === "object" && value !== null &&
    (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0);
}

function lines(value: unknown, indent: string): string[] {
  if (!isCollection(value)) {
    return [
      indent + (Array.isArray(value) ? "[]" : typeof value === "object" && value ? "{}" : scalar(value)),
    ];
  }
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isCollection(item)) {
        out.push(`${indent}- ${lines(item, "")[0]}`);
        continue;
      }
      const nested = lines(item, `${indent}  `);
      out.push(`${indent}- ${nested[0]!.slice(indent.length + 2)}`, ...nested.slice(1));
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    if (isCollection(item)) out.push(`${indent}${scalar(key)}:`, ...lines(item, `${indent}  `));
    else out.push(`${indent}${scalar(key)}: ${lines(item, "")[0]}`);
  }
  return out;
}

/**
 * A JSON value (such as an AsyncAPI document) as YAML.
 *
 * @example
 * ```ts
 * import { toYaml } from "@sluice/core/asyncapi";
 * toYaml({ asyncapi: "3.0.0", info: { title: "Shop", version: "1.0.0" } });
 * // asyncapi: "3.0.0"\ninfo:\n  title: Shop\n  version: "1.0.0"\n
 * ```
 */
export function toYaml(value: unknown): string {
  return `${lines(JSON.parse(JSON.stringify(value) ?? "null"), "").join("\n")}\n`;
}
