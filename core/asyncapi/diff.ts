/**
 * `diff(before, after)`: what changed between two versions of an app's AsyncAPI document, each change either
 * breaking (some producer or consumer of the app stops working) or additive (none notices), so that a CI job
 * can stop a breaking change before it ships.
 *
 * @module
 */

import { stableJson } from "./_names.ts";
import { refId, type Resolve, resolver } from "./_refs.ts";
import { breaks, compareSchemas, type Direction, type SchemaRule } from "./_schema_diff.ts";

export type { Direction, SchemaRule } from "./_schema_diff.ts";

/** The rules `diff` applies, beside the schema rules of payloads and headers. */
export type DiffRule =
  | "server-removed"
  | "server-added"
  | "server-changed"
  | "channel-removed"
  | "channel-added"
  | "address-changed"
  | "parameter-renamed"
  | "bindings-changed"
  | "operation-removed"
  | "operation-added"
  | "action-changed"
  | "message-removed"
  | "message-added"
  | "reply-removed"
  | "reply-added"
  | "content-type-changed"
  | "correlation-id-changed"
  | SchemaRule;

/** One change, in one line. */
export interface Change {
  /** `breaking` when a producer or a consumer of the app may stop working, else `additive`. */
  readonly kind: "breaking" | "additive";
  /** The rule that found it. */
  readonly rule: DiffRule;
  /** What changed, e.g. `operation users.created.receive, message UsersCreated: payload.id: property removed`. */
  readonly message: string;
}

type Node = Record<string, unknown>;

function entries(value: unknown): Record<string, Node> {
  return value && typeof value === "object" ? value as Record<string, Node> : {};
}

/** A parameter-blind address: `orders.{region}` and `orders.{zone}` are one. */
function shape(address: unknown): string {
  return typeof address === "string" ? address.replace(/\{[^}]*\}/g, "{}") : String(address);
}

/**
 * The changes from `before` to `after`, breaking ones first. Channels, operations and messages are matched
 * by id (`sluice docs gen` derives ids from channel addresses, so they stay put); payload and header schemas
 * are compared in the direction their messages travel: for a message the app receives, accepting less
 * breaks its producers; for one it sends, sending more (or dropping a property) breaks its consumers.
 *
 * @example
 * ```ts
 * import { diff } from "@sluice/core/asyncapi";
 * const before = { asyncapi: "3.0.0", channels: { orders: { address: "orders" } } };
 * const after = { asyncapi: "3.0.0", channels: {} };
 * diff(before, after); // [{ kind: "breaking", rule: "channel-removed", message: "channel orders removed" }]
 * ```
 */
export function diff(before: unknown, after: unknown): Change[] {
  const a = entries(before) as Node;
  const b = entries(after) as Node;
  const ra = resolver(a);
  const rb = resolver(b);
  const changes: Change[] = [];
  const lines = new Set<string>();
  const add = (breaking: boolean, rule: DiffRule, message: string): void => {
    const change: Change = { kind: breaking ? "breaking" : "additive", rule, message };
    const key = `${change.kind}: ${message}`;
    if (lines.has(key)) return;
    lines.add(key);
    changes.push(change);
  };

  const servers = [entries(a.servers), entries(b.servers)] as const;
  for (const [id, server] of Object.entries(servers[0])) {
    const next = servers[1][id];
    if (!next) add(true, "server-removed", `server ${id} removed`);
    else {
      for (const field of ["protocol", "host", "pathname"]) {
        if (server[field] !== next[field]) {
          add(
            true,
            "server-changed",
            `server ${id}: ${field} changed from ${server[field]} to ${next[field]}`,
          );
        }
      }
    }
  }
  for (const id of Object.keys(servers[1])) {
    if (!servers[0][id]) add(false, "server-added", `server ${id} added`);
  }

  // Channels match by id, or — when only parameter names changed, which changes the id — by address.
  const channels = [entries(a.channels), entries(b.channels)] as const;
  const renamed = new Map<string, string>();
  const fresh = new Set(Object.keys(channels[1]).filter((id) => !channels[0][id]));
  for (const [id, raw] of Object.entries(channels[0])) {
    const address = (ra(raw) as Node).address;
    if (channels[1][id] || typeof address !== "string" || !address.includes("{")) continue;
    const twin = [...fresh].find((other) =>
      shape((rb(channels[1][other]) as Node).address) === shape(address)
    );
    if (twin === undefined) continue;
    renamed.set(id, twin);
    fresh.delete(twin);
  }
  for (const [id, raw] of Object.entries(channels[0])) {
    const next = channels[1][id] ?? channels[1][renamed.get(id) ?? ""];
    if (!next) {
      add(true, "channel-removed", `channel ${id} removed`);
      continue;
    }
    const [x, y] = [ra(raw) as Node, rb(next) as Node];
    if (x.address !== y.address) {
      const same = shape(x.address) === shape(y.address);
      add(
        true,
        same ? "parameter-renamed" : "address-changed",
        `channel ${id}: ${same ? "parameters renamed" : "address changed"}: ${x.address} → ${y.address}`,
      );
    }
    if (stableJson(x.bindings ?? null) !== stableJson(y.bindings ?? null)) {
      add(true, "bindings-changed", `channel ${id}: bindings changed`);
    }
  }
  for (const id of fresh) add(false, "channel-added", `channel ${id} added`);

  const messages = (x: unknown, y: unknown, where: string, direction: Direction): void => {
    const byId = (refs: unknown, resolve: Resolve): Map<string, Node> =>
      new Map((Array.isArray(refs) ? refs : []).map((r) => [refId(r) ?? stableJson(r), resolve(r) as Node]));
    const [ma, mb] = [byId(x, ra), byId(y, rb)];
    const gone = [...ma.keys()].filter((id) => !mb.has(id));
    const added = [...mb.keys()].filter((id) => !ma.has(id));
    // One message on each side that match no other: the same message, renamed with its channel.
    if (gone.length === 1 && added.length === 1) {
      mb.set(gone.pop()!, mb.get(added.pop()!)!);
    }
    for (const [id, message] of ma) {
      if (gone.includes(id)) add(true, "message-removed", `${where}: message ${id} removed`);
      else compareMessage(message, mb.get(id)!, `${where}, message ${id}`, direction);
    }
    for (const id of added) add(direction === "send", "message-added", `${where}: message ${id} added`);
  };

  const compareMessage = (x: Node, y: Node, where: string, direction: Direction): void => {
    const typeA = x.contentType ?? a.defaultContentType;
    const typeB = y.contentType ?? b.defaultContentType;
    if (typeA !== typeB) {
      add(true, "content-type-changed", `${where}: content type changed from ${typeA} to ${typeB}`);
    }
    if (stableJson(x.correlationId ?? null) !== stableJson(y.correlationId ?? null)) {
      add(true, "correlation-id-changed", `${where}: correlation id moved`);
    }
    for (const part of ["payload", "headers"]) {
      for (const change of compareSchemas(x[part], y[part], ra, rb)) {
        add(breaks(change.rule, direction), change.rule, `${where}: ${part}${change.path}: ${change.detail}`);
      }
    }
  };

  const operations = [entries(a.operations), entries(b.operations)] as const;
  /** The new id of an operation: its own, or the same with its channel's new id. */
  const twin = (id: string, x: Node): string | undefined => {
    if (operations[1][id]) return id;
    const channel = refId(x.channel) ?? "";
    const moved = renamed.get(channel);
    return moved !== undefined && id.startsWith(`${channel}.`)
      ? `${moved}${id.slice(channel.length)}`
      : undefined;
  };
  const matched = new Set<string>();
  for (const [id, raw] of Object.entries(operations[0])) {
    const x = ra(raw) as Node;
    const where = `operation ${id}`;
    const other = twin(id, x);
    if (other === undefined || !operations[1][other]) {
      add(true, "operation-removed", `${where} (${x.action}) removed`);
      continue;
    }
    matched.add(other);
    const y = rb(operations[1][other]) as Node;
    if (x.action !== y.action) {
      add(true, "action-changed", `${where}: action changed from ${x.action} to ${y.action}`);
    }
    const [ca, cb] = [ra(x.channel) as Node | undefined, rb(y.channel) as Node | undefined];
    if (shape(ca?.address) !== shape(cb?.address)) {
      add(true, "address-changed", `${where}: channel address changed: ${ca?.address} → ${cb?.address}`);
    }
    const direction: Direction = y.action === "receive" ? "receive" : "send";
    messages(x.messages, y.messages, where, direction);
    const [replyA, replyB] = [ra(x.reply) as Node | undefined, rb(y.reply) as Node | undefined];
    if (replyA && !replyB) add(true, "reply-removed", `${where}: reply removed`);
    if (!replyA && replyB) add(false, "reply-added", `${where}: reply added`);
    // The app sends replies: its requesters consume them.
    if (replyA && replyB) messages(replyA.messages, replyB.messages, `${where}, reply`, "send");
  }
  for (const id of Object.keys(operations[1])) {
    if (!matched.has(id)) add(false, "operation-added", `operation ${id} added`);
  }
  return [...changes.filter((c) => c.kind === "breaking"), ...changes.filter((c) => c.kind === "additive")];
}

/** A change as one line: `breaking: channel orders removed`. */
export function formatChange(change: Change): string {
  return `${change.kind}: ${change.message}`;
}
