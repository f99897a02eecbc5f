/**
 * Channel templates with path parameters (`logs.{level}`) and the wildcard matching most brokers share.
 *
 * @module
 */

import type { RoutingRules } from "./driver.ts";

/** The parameter names of a template, as a type: `PathParams<"logs.{level}.{app}">` is `{ level: string; app: string }`. */
export type PathParams<T extends string> = string extends T ? Record<string, string>
  : T extends `${string}{${infer Name}}${infer Rest}`
    ? { readonly [K in Name | keyof PathParams<Rest>]: string }
  : Record<never, string>;

const PARAM = /\{([A-Za-z_][\w-]*)\}/g;

/** The parameter names of a template, in order. */
export function paramNames(template: string): string[] {
  return [...template.matchAll(PARAM)].map((m) => m[1]!);
}

/** Replaces each `{name}` with `wildcard`: `logs.{level}` → `logs.*`. */
export function replaceParams(template: string, wildcard: string): string {
  return template.replace(PARAM, wildcard);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compiles a template into a function that extracts its parameters from a concrete channel, each
 * parameter being one level (no `separator` inside). Returns undefined for a template without parameters.
 */
export function pathExtractor(
  template: string,
  separator: string,
): ((channel: string) => Record<string, string> | undefined) | undefined {
  const names = paramNames(template);
  if (names.length === 0) return undefined;
  const level = separator ? `[^${escapeRegExp(separator)}]+` : ".+";
  const source = template
    .split(PARAM)
    .map((part, i) => (i % 2 === 1 ? `(${level})` : escapeRegExp(part)))
    .join("");
  const regex = new RegExp(`^${source}$`);
  return (channel) => {
    const match = regex.exec(channel);
    if (!match) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = match[i + 1]!));
    return params;
  };
}

/**
 * Matching by levels with a single-level and a multi-level wildcard — NATS (`*`, `>`), RabbitMQ topics
 * (`*`, `#`), MQTT (`+`, `#`). `#` in RabbitMQ matches zero or more words, `>` in NATS one or more, `#` in MQTT
 * zero or more levels at the end (so `a/#` matches `a`).
 */
export function levelMatcher(options: {
  readonly separator: string;
  readonly one: string;
  readonly many: string;
  /** The multi-level wildcard may match zero levels. */
  readonly manyMatchesZero: boolean;
}): (pattern: string, channel: string) => boolean {
  const { separator, one, many, manyMatchesZero } = options;
  const match = (p: readonly string[], pi: number, c: readonly string[], ci: number): boolean => {
    for (; pi < p.length; pi++, ci++) {
      const token = p[pi];
      if (token === many) {
        if (pi === p.length - 1) return manyMatchesZero ? ci <= c.length : ci < c.length;
        for (let skip = manyMatchesZero ? 0 : 1; ci + skip <= c.length; skip++) {
          if (match(p, pi + 1, c, ci + skip)) return true;
        }
        return false;
      }
      if (ci >= c.length) return false;
      if (token !== one && token !== c[ci]) return false;
    }
    return ci === c.length;
  };
  return (pattern, channel) => {
    if (pattern === channel) return true;
    return match(pattern.split(separator), 0, channel.split(separator), 0);
  };
}

/** The rules of the in-memory broker: NATS-style, `.` separated, `*` one level and `>` the rest. */
export const memoryRules: RoutingRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false }),
};
