/**
 * Ids of the generated document: derived from channel addresses, so that they stay the same from one version
 * of an app to the next (which `diff` relies on), and unique within their map.
 *
 * @module
 */

/** A map key from an address: `logs.{level}` → `logs.level`, `sensors/+/temp` → `sensors_temp`. */
export function keyOf(text: string): string {
  const key = text.replace(/[{}]/g, "").replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[_.]+|[_.]+$/g, "");
  return key || "root";
}

/** A type-like name from an address: `users.created` → `UsersCreated`. */
export function pascalOf(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(name) ? `_${name}` : name || "Root";
}

/** Hands out unique ids: the base itself, then the base with a counter. */
export class Ids {
  readonly #used = new Set<string>();
  readonly #separator: string;

  /** `separator` goes between the base and the counter: `orders-2`, or `Orders2` with "". */
  constructor(separator = "-") {
    this.#separator = separator;
  }

  /** A fresh id from `base`. */
  take(base: string): string {
    let id = base;
    for (let n = 2; this.#used.has(id); n++) id = `${base}${this.#separator}${n}`;
    this.#used.add(id);
    return id;
  }
}

/** JSON with object keys in a stable order: two equal values give the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
        : v,
  );
}

/** Escapes a key for a JSON pointer (`~` → `~0`, `/` → `~1`). */
export function pointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
