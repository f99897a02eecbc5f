/**
 * The docs page: one self-contained HTML document rendered on the server from the AsyncAPI document — servers,
 * the topology picture, channels with their parameters, operations and messages (payload schema and an
 * example body) — with no script, style or font from anywhere else, so it works offline and behind a
 * strict Content-Security-Policy. With try-it-out on, it has a form per consumed channel and a few lines of
 * inline script that post to `POST /docs/publish`.
 *
 * Why not the AsyncAPI React component: its standalone bundle is about 2 MB of script that renders in the
 * browser, and it cannot draw the topology (subscribers → handlers → publishers) this page is for; a page
 * rendered here from the same document is about 20 KB, shows without script, and is what `sluice docs serve`
 * shows for a generated file.
 *
 * @module
 */

import type {
  AsyncApiDocument,
  ChannelObject,
  MessageObject,
  OperationObject,
  Reference,
} from "@sluice/core/asyncapi";
import { exampleOf, payloadOf } from "./_example.ts";
import { topologyOf, topologySvg } from "./topology.ts";
import { PAGE_SCRIPT, PAGE_STYLE } from "./_page_assets.ts";

/** Options of {@linkcode docsPage}. */
export interface DocsPageOptions {
  /** Adds a publish form per consumed channel, posting to `publishPath`. Off by default. */
  readonly tryItOut?: boolean;
  /** Where the forms post; `publish` (relative to the page: `/docs/publish` for `/docs`) by default. */
  readonly publishPath?: string;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

function json(value: unknown): string {
  return escape(JSON.stringify(value, null, 2));
}

function messageOf(document: AsyncApiDocument, ref: Reference | MessageObject): [string, MessageObject] {
  if (!("$ref" in ref)) return [ref.name ?? "message", ref];
  const id = ref.$ref.split("/").pop()!;
  return [id, document.components?.messages?.[id] ?? {}];
}

function anchor(id: string): string {
  return `channel-${id.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
}

function renderMessage(document: AsyncApiDocument, id: string, message: MessageObject): string {
  const payload = payloadOf(document, message.payload);
  const example = payload ? exampleOf(payload) : undefined;
  return `<div class="message"><h4>${escape(message.title ?? id)}</h4>` +
    (message.summary ? `<p>${escape(message.summary)}</p>` : "") +
    `<p class="meta">content type <code>${
      escape(message.contentType ?? document.defaultContentType ?? "application/json")
    }</code>` +
    (message.correlationId
      ? `, correlation id at <code>${escape(message.correlationId.location)}</code>`
      : "") +
    `</p>` +
    (payload
      ? `<div class="pair"><div><h5>Payload schema</h5><pre>${json(payload)}</pre></div>` +
        `<div><h5>Example</h5><pre class="example">${json(example)}</pre></div></div>`
      : `<p class="meta">Payload: any (no schema declared).</p>`) +
    (message.headers ? `<h5>Headers</h5><pre>${json(payloadOf(document, message.headers))}</pre>` : "") +
    `</div>`;
}

function renderOperation(document: AsyncApiDocument, id: string, operation: OperationObject): string {
  const verb = operation.action === "receive" ? "subscribes" : "publishes";
  const replies = operation.reply?.messages?.map((ref) => messageOf(document, ref)[0]) ?? [];
  const batch = operation["x-sluice-batch"];
  return `<li><code>${escape(id)}</code>: the service <strong>${verb}</strong>` +
    (operation.description ? ` — ${escape(operation.description)}` : "") +
    (batch ? ` (in batches of up to ${batch.size}, ${batch.timeout} ms)` : "") +
    (replies.length > 0
      ? `; a request gets a reply (${replies.map(escape).join(", ")}) on its reply_to`
      : "") +
    `</li>`;
}

function renderForm(id: string, channel: ChannelObject, example: unknown, schema: unknown): string {
  const params = Object.keys(channel.parameters ?? {});
  return `<form class="try" data-channel="${escape(channel.address ?? id)}" data-schema="${
    escape(JSON.stringify(schema ?? {}))
  }"><h4>Try it out</h4>` +
    params.map((name) =>
      `<label>${escape(name)} <input name="param:${escape(name)}" required placeholder="${
        escape(name)
      }"></label>`
    ).join("") +
    `<textarea name="body" rows="6" spellcheck="false">${json(example ?? {})}</textarea>` +
    `<label><input type="checkbox" name="request"> request: wait for the reply</label>` +
    `<button type="submit">Publish to ${escape(channel.address ?? id)}</button>` +
    `<pre class="result" aria-live="polite"></pre></form>`;
}

function renderChannel(
  document: AsyncApiDocument,
  id: string,
  channel: ChannelObject,
  tryItOut: boolean,
): string {
  const operations = Object.entries(document.operations ?? {})
    .filter(([, o]) => o.channel.$ref === `#/channels/${id.replaceAll("~", "~0").replaceAll("/", "~1")}`);
  const messages = Object.values(channel.messages ?? {}).map((ref) => messageOf(document, ref));
  const parameters = Object.entries(channel.parameters ?? {});
  const consumed = operations.some(([, o]) => o.action === "receive");
  const first = messages[0]?.[1];
  const schema = first ? payloadOf(document, first.payload) : undefined;
  return `<section class="channel" id="${anchor(id)}" data-channel-id="${escape(id)}">` +
    `<h3>${
      channel.address === null
        ? `${escape(id)} <small>(reply_to of each request)</small>`
        : escape(channel.address)
    }</h3>` +
    (channel.description ? `<p>${escape(channel.description)}</p>` : "") +
    (channel.servers?.length
      ? `<p class="meta">on ${channel.servers.map((s) => escape(s.$ref.split("/").pop()!)).join(", ")}</p>`
      : "") +
    (parameters.length
      ? `<h4>Parameters</h4><ul>${
        parameters.map(([name, p]) =>
          `<li><code>{${escape(name)}}</code>${p.description ? ` — ${escape(p.description)}` : ""}${
            p.enum ? ` (one of ${p.enum.map(escape).join(", ")})` : ""
          }</li>`
        ).join("")
      }</ul>`
      : "") +
    (operations.length
      ? `<h4>Operations</h4><ul>${
        operations.map(([oid, o]) => renderOperation(document, oid, o)).join("")
      }</ul>`
      : "") +
    `<h4>Messages</h4>${messages.map(([mid, m]) => renderMessage(document, mid, m)).join("")}` +
    (tryItOut && consumed && channel.address !== null
      ? renderForm(id, channel, schema ? exampleOf(schema) : {}, schema)
      : "") +
    `</section>`;
}

/**
 * The docs page of an AsyncAPI document, as one self-contained HTML string. `sluice docs serve` serves it
 * when `@sluice/http` is installed; {@linkcode http}'s `/docs` serves it for the running app.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { asyncapi } from "@sluice/core/asyncapi";
 * import { docsPage } from "@sluice/http";
 * const broker = memory();
 * broker.subscriber("orders").handle(() => {});
 * const html = docsPage(asyncapi(new App(broker)));
 * ```
 */
export function docsPage(document: AsyncApiDocument, options: DocsPageOptions = {}): string {
  const tryItOut = options.tryItOut === true;
  const { info } = document;
  const channels = Object.entries(document.channels ?? {});
  const servers = Object.entries(document.servers ?? {});
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escape(info.title)} ${escape(info.version)} — docs</title><style>${PAGE_STYLE}</style></head>` +
    `<body${tryItOut ? ` data-publish="${escape(options.publishPath ?? "docs/publish")}"` : ""}>` +
    `<header><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>` +
    (info.description ? `<p>${escape(info.description)}</p>` : "") +
    `<p class="meta">AsyncAPI ${escape(document.asyncapi)} · <a href="asyncapi.json">asyncapi.json</a> · ` +
    `<a href="asyncapi.yaml">asyncapi.yaml</a></p></header>` +
    `<nav><h2>Channels</h2><ul>${
      channels.map(([id, c]) =>
        `<li><a href="#${anchor(id)}">${escape(c.address ?? `${id} (replies)`)}</a></li>`
      )
        .join("")
    }</ul></nav><main>` +
    `<section><h2>Servers</h2><table><tr><th>server</th><th>protocol</th><th>host</th><th>description</th></tr>${
      servers.map(([id, s]) =>
        `<tr><td>${escape(id)}</td><td>${escape(s.protocol)}${
          s.protocolVersion ? ` ${escape(s.protocolVersion)}` : ""
        }</td><td><code>${escape(s.host)}${escape(s.pathname ?? "")}</code></td><td>${
          escape(s.description ?? "")
        }</td></tr>`
      ).join("")
    }</table></section>` +
    `<section><h2>Topology</h2><div class="scroll">${topologySvg(topologyOf(document))}</div>` +
    `<p class="meta">Solid edges: where messages flow. Dashed: a handler's reply to a request, sent to the ` +
    `request's reply_to.</p></section>` +
    (tryItOut
      ? `<section class="token"><h2>Try it out</h2><label>Bearer token <input type="password" id="token" ` +
        `autocomplete="off"></label><p class="meta">Each form publishes its JSON body to the channel, ` +
        `after checking it against the payload schema; the server checks it again.</p></section>`
      : "") +
    `<h2>Channels</h2>${channels.map(([id, c]) => renderChannel(document, id, c, tryItOut)).join("")}` +
    `</main>${tryItOut ? `<script>${PAGE_SCRIPT}</script>` : ""}</body></html>`;
}
