/**
 * The topology of a service, read from its AsyncAPI document and drawn as an SVG: brokers → the channels they
 * carry → subscribers → their handlers → the publishers a handler's result goes through → the channels those
 * write to. A handler's reply to a request is drawn as a dashed edge to the broker's reply channel.
 *
 * It is read from the document, not from the app, so that `sluice docs serve` draws the same picture from a
 * generated file as `/docs` does from the running app.
 *
 * @module
 */

import type { AsyncApiDocument, MessageObject, OperationObject, Reference } from "@sluice/core/asyncapi";

/** What a node stands for. */
export type NodeKind = "broker" | "channel" | "subscriber" | "handler" | "publisher" | "target" | "replies";

/** A node of the topology. */
export interface TopologyNode {
  /** Unique within the topology. */
  readonly id: string;
  readonly kind: NodeKind;
  /** What the picture writes on it. */
  readonly label: string;
  /** The column it is drawn in, left to right. */
  readonly column: number;
  /** The document's channel or operation id it comes from. */
  readonly ref: string;
}

/** An edge; `reply` ones are a handler's reply to a request, to the address the request named. */
export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: "flow" | "reply";
}

/** Every node and edge of a service. */
export interface Topology {
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

function lastSegment(ref: Reference | undefined): string | undefined {
  return ref?.$ref.split("/").pop()?.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** The component message id a channel's message reference points to. */
function componentOf(document: AsyncApiDocument, ref: Reference): string | undefined {
  const parts = ref.$ref.split("/").slice(1).map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (parts[0] === "components") return parts[2];
  const channel = document.channels?.[parts[1] ?? ""];
  const message = channel?.messages?.[parts[3] ?? ""];
  return message && "$ref" in message ? lastSegment(message as Reference) : parts[3];
}

/** The handlers of a receive operation: one per message a filter chooses, else one. */
function handlersOf(document: AsyncApiDocument, operation: OperationObject): string[] {
  const messages = (operation.messages ?? []).map((ref) => {
    const id = componentOf(document, ref);
    return id === undefined ? undefined : document.components?.messages?.[id];
  });
  const filtered = messages.filter((m): m is MessageObject => m?.summary?.startsWith("Handled by") === true);
  if (filtered.length < 2) return ["handler"];
  return filtered.map((m, i) => m.title ?? `handler ${i + 1}`);
}

/** Reads the topology of a service from its AsyncAPI document. */
export function topologyOf(document: AsyncApiDocument): Topology {
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const channels = document.channels ?? {};
  const operations = Object.entries(document.operations ?? {});
  const add = (node: TopologyNode): string => {
    if (!nodes.some((n) => n.id === node.id)) nodes.push(node);
    return node.id;
  };
  const brokerOf = (channelId: string): string | undefined => lastSegment(channels[channelId]?.servers?.[0]);
  for (const [id, server] of Object.entries(document.servers ?? {})) {
    add({
      id: `broker:${id}`,
      kind: "broker",
      label: `${server.protocol}://${server.host}`,
      column: 0,
      ref: id,
    });
  }
  // Publishers, keyed by the component messages they send: a handler's result is the same message.
  const senders = new Map<string, string[]>();
  for (const [id, operation] of operations) {
    if (operation.action !== "send") continue;
    const channelId = lastSegment(operation.channel)!;
    const publisher = add({
      id: `publisher:${id}`,
      kind: "publisher",
      label: channels[channelId]?.address ?? channelId,
      column: 4,
      ref: id,
    });
    const target = add({
      id: `target:${channelId}`,
      kind: "target",
      label: channels[channelId]?.address ?? channelId,
      column: 5,
      ref: channelId,
    });
    edges.push({ from: publisher, to: target, kind: "flow" });
    for (const ref of operation.messages ?? []) {
      const message = componentOf(document, ref);
      if (message !== undefined) senders.set(message, [...(senders.get(message) ?? []), publisher]);
    }
  }
  for (const [id, operation] of operations) {
    if (operation.action !== "receive") continue;
    const channelId = lastSegment(operation.channel)!;
    const address = channels[channelId]?.address ?? channelId;
    const channel = add({
      id: `channel:${channelId}`,
      kind: "channel",
      label: address,
      column: 1,
      ref: channelId,
    });
    const broker = brokerOf(channelId);
    if (broker !== undefined && !edges.some((e) => e.from === `broker:${broker}` && e.to === channel)) {
      edges.push({ from: `broker:${broker}`, to: channel, kind: "flow" });
    }
    const group = id.slice(channelId.length + ".receive".length + 1);
    const subscriber = add({
      id: `subscriber:${id}`,
      kind: "subscriber",
      label: group ? `${address} (${group})` : address,
      column: 2,
      ref: id,
    });
    edges.push({ from: channel, to: subscriber, kind: "flow" });
    const results = new Set<string>();
    for (const ref of operation.reply?.messages ?? []) {
      const message = componentOf(document, ref);
      for (const publisher of message === undefined ? [] : senders.get(message) ?? []) results.add(publisher);
    }
    const replies = lastSegment(operation.reply?.channel);
    handlersOf(document, operation).forEach((name, i) => {
      const handler = add({ id: `handler:${id}:${i}`, kind: "handler", label: name, column: 3, ref: id });
      edges.push({ from: subscriber, to: handler, kind: "flow" });
      for (const publisher of results) edges.push({ from: handler, to: publisher, kind: "flow" });
      if (replies !== undefined) {
        const node = add({
          id: `replies:${replies}`,
          kind: "replies",
          label: "reply to the request",
          column: 4,
          ref: replies,
        });
        edges.push({ from: handler, to: node, kind: "reply" });
      }
    });
  }
  return { nodes, edges };
}

const WIDTH = 170;
const GAP = 44;
const HEIGHT = 34;
const ROW = 48;
const COLUMNS = ["brokers", "channels", "subscribers", "handlers", "publishers and replies", "written to"];

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

function clip(text: string): string {
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

/**
 * The topology as a standalone SVG: a column per kind of node, edges as curves; each node carries
 * `data-kind` and `data-ref` (the document's id), so a page or a test can find it.
 */
export function topologySvg(topology: Topology): string {
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const node of topology.nodes) {
    const row = rows.get(node.column) ?? 0;
    rows.set(node.column, row + 1);
    at.set(node.id, { x: 10 + node.column * (WIDTH + GAP), y: 40 + row * ROW });
  }
  const width = 20 + COLUMNS.length * WIDTH + (COLUMNS.length - 1) * GAP;
  const height = 60 + Math.max(1, ...rows.values()) * ROW;
  const heads = COLUMNS.map((name, i) =>
    `<text class="head" x="${10 + i * (WIDTH + GAP) + WIDTH / 2}" y="20">${name}</text>`
  );
  const edges = topology.edges.map((edge) => {
    const a = at.get(edge.from)!;
    const b = at.get(edge.to)!;
    const x1 = a.x + WIDTH;
    const y1 = a.y + HEIGHT / 2;
    const x2 = b.x;
    const y2 = b.y + HEIGHT / 2;
    const bend = (x2 - x1) / 2;
    return `<path class="edge ${edge.kind}" data-from="${escape(edge.from)}" data-to="${escape(edge.to)}" ` +
      `d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>` +
      (edge.kind === "reply" ? `<text class="edge-label" x="${x1 + 24}" y="${y1 - 5}">reply</text>` : "");
  });
  const nodes = topology.nodes.map((node) => {
    const { x, y } = at.get(node.id)!;
    return `<g class="node ${node.kind}" data-kind="${node.kind}" data-ref="${escape(node.ref)}">` +
      `<title>${escape(`${node.kind}: ${node.label}`)}</title>` +
      `<rect x="${x}" y="${y}" width="${WIDTH}" height="${HEIGHT}" rx="6"/>` +
      `<text x="${x + WIDTH / 2}" y="${y + HEIGHT / 2 + 4}">${escape(clip(node.label))}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="topology" role="img" ` +
    `aria-label="Topology: brokers, channels, subscribers, handlers, publishers" ` +
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<style>${SVG_STYLE}</style>` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" ` +
    `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>` +
    heads.join("") + edges.join("") + nodes.join("") + `</svg>`;
}

const SVG_STYLE = [
  "text{font:12px system-ui,sans-serif;text-anchor:middle;fill:#123}",
  ".head{font-weight:600;fill:#556}",
  ".edge{fill:none;stroke:#889;stroke-width:1.4}",
  ".edge.reply{stroke:#b5651d;stroke-dasharray:5 4}",
  ".edge-label{fill:#b5651d;font-size:11px}",
  ".node rect{stroke:#456;stroke-width:1}",
  ".broker rect{fill:#dde8ff}",
  ".channel rect,.target rect{fill:#e6f4e6}",
  ".subscriber rect{fill:#fff4d6}",
  ".handler rect{fill:#fde2e2}",
  ".publisher rect{fill:#ece3ff}",
  ".replies rect{fill:#fff;stroke-dasharray:4 3}",
].join("");
