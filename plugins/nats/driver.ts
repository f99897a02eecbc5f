/**
 * The NATS driver: one nats.js connection for core NATS, JetStream and key-value, loaded lazily. Core
 * subscribers get subjects, wildcards and queue groups; JetStream subscribers (option `stream`, or every
 * subscriber with the broker's `jetstream: true`) get acks, nak with delay and redelivery; `kv` subscribers
 * watch a bucket's keys.
 *
 * @module
 */

import { ConnectionError, OptionError } from "@sluice/core";
import type {
  Deliver,
  Driver,
  IncomingMessage,
  Logger,
  OutgoingMessage,
  SubscriptionEvents,
  SubscriptionHandle,
  SubscriptionSpec,
} from "@sluice/core";
import { describeError, importClient, parseOptions, redactUrl } from "@sluice/core/kit";
import { connectNats } from "./_transport.ts";
import type { NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager, JetStreamPublishOptions } from "@nats-io/jetstream";
import type { Kvm } from "@nats-io/kv";
import { type Connection, KnownStreams } from "./_connection.ts";
import { subscribeCore } from "./_core.ts";
import { declareStream, subscribeJetStream } from "./_jetstream.ts";
import { openKeyValue, subscribeKv } from "./_kv_watch.ts";
import { openObjectStore, subscribeObjects } from "./_obj_watch.ts";
import type { ObjectStore } from "./_objects.ts";
import { ReplyInbox } from "./_request.ts";
import { headersOf } from "./_headers.ts";
import type { KeyValue } from "./_kv.ts";
import { flushAcks, wireHeaders } from "./message.ts";
import {
  brokerOptions,
  checkPublishOptions,
  type NatsOptions,
  type NatsPublishOptions,
  type NatsSubscribeOptions,
  subscribeOptions,
  usesJetStream,
} from "./options.ts";
import { assertPublishSubject, assertSubscribeSubject, natsRules } from "./rules.ts";
import { natsDocs } from "./bindings.ts";

/** The NATS driver: the core's contract plus key-value buckets. */
export interface NatsDriver extends Driver<NatsSubscribeOptions, NatsPublishOptions> {
  /** A key-value bucket, created when it does not exist. */
  kv(bucket: string): Promise<KeyValue>;
  /** An object store bucket, created when it does not exist; `@nats-io/obj` is loaded on first use. */
  objects(bucket: string): Promise<ObjectStore>;
}

/** The servers of the options as a list. */
function serverList(options: NatsOptions): string[] {
  const servers = options.servers ?? "nats://127.0.0.1:4222";
  return typeof servers === "string" ? servers.split(",").map((s) => s.trim()) : [...servers];
}

/**
 * The servers without credentials, and the credentials the first server URL with any carries
 * (`nats://user:pass@host`, `tls://token@host`). The client library ignores credentials in a server URL
 * (the login then fails with an authorization error), though every NATS client and `connect(url)` read
 * them there; the `user`, `pass` and `token` options win over them.
 */
function splitCredentials(servers: readonly string[]): {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
} {
  const result: { servers: string[]; user?: string; pass?: string; token?: string } = { servers: [] };
  for (const server of servers) {
    const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@(.*)$/i.exec(server);
    if (!match) {
      result.servers.push(server);
      continue;
    }
    const [, scheme = "", credentials = "", rest = ""] = match;
    result.servers.push(`${scheme}${rest}`);
    if (result.user !== undefined || result.token !== undefined || credentials === "") continue;
    const colon = credentials.indexOf(":");
    if (colon >= 0) {
      result.user = decodeURIComponent(credentials.slice(0, colon));
      result.pass = decodeURIComponent(credentials.slice(colon + 1));
    } else {
      result.token = decodeURIComponent(credentials);
    }
  }
  return result;
}

async function connectionOptions(options: NatsOptions): Promise<NodeConnectionOptions> {
  const client = await importClient("@nats-io/transport-node", () => import("@nats-io/transport-node"));
  const fromUrls = splitCredentials(serverList(options));
  const result: NodeConnectionOptions = {
    servers: fromUrls.servers,
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWait ?? 1000,
    timeout: options.connectTimeout ?? 5000,
    // nats.js otherwise builds an Error (a stack capture) for every request, JetStream publish and ack with
    // a reply, only to give a timeout a stack that points at the call: ~10 % of a JetStream publish's CPU
    // under Bun. Sluice turns the client's errors into its own (`_errors.ts`), whose messages say what
    // timed out and where; the stacks are the plugin's.
    noAsyncTraces: true,
  };
  const explicit = options.token !== undefined || options.user !== undefined ||
    options.nkeySeed !== undefined ||
    options.credentials !== undefined;
  if (!explicit && fromUrls.user !== undefined) {
    result.user = fromUrls.user;
    result.pass = fromUrls.pass;
  } else if (!explicit && fromUrls.token !== undefined) result.token = fromUrls.token;
  if (options.token) result.token = options.token;
  if (options.user) {
    result.user = options.user;
    result.pass = options.pass;
  }
  if (options.nkeySeed) {
    result.authenticator = client.nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed));
  }
  if (options.credentials) {
    const { readFile } = await import("node:fs/promises");
    let creds: Uint8Array;
    try {
      creds = await readFile(options.credentials);
    } catch (error) {
      throw new OptionError(
        `Cannot read the NATS credentials file ${options.credentials}: ${describeError(error)}`,
      );
    }
    result.authenticator = client.credsAuthenticator(creds);
  }
  if (options.tls) result.tls = options.tls === true ? {} : { ...options.tls };
  return result;
}

function hint(error: unknown): string {
  const text = describeError(error).toLowerCase();
  if (text.includes("authorization") || text.includes("authentication")) {
    return "Check the token, user and password, NKey seed or credentials file";
  }
  if (text.includes("tls") || text.includes("certificate")) return "Check the TLS options and certificates";
  return "Is nats-server running and reachable?";
}

/** Logs the connection's outages and recoveries; the client reconnects and resubscribes by itself. */
function logStatus(nc: NatsConnection, logger: Logger): void {
  (async () => {
    for await (const status of nc.status()) {
      const server = "server" in status ? redactUrl(`nats://${String(status.server)}`) : "";
      switch (status.type) {
        case "disconnect":
          logger.warn(`Lost the connection to NATS ${server}; reconnecting`);
          break;
        case "reconnect":
          logger.info(`Reconnected to NATS ${server}; subscriptions resumed`);
          break;
        case "ldm":
          logger.warn(`NATS ${server} entered lame duck mode; it will close soon`);
          break;
        case "error":
          logger.error(`NATS error: ${describeError((status as { error?: unknown }).error)}`);
          break;
        case "slowConsumer":
          logger.warn(
            `NATS slow consumer on ${(status as { sub?: { getSubject(): string } }).sub?.getSubject()}`,
          );
          break;
      }
    }
  })().catch(() => undefined);
}

/** Creates the NATS driver (not connected); throws an `OptionError` naming a bad option. */
export function natsDriver(options: NatsOptions = {}): NatsDriver {
  parseOptions(brokerOptions, options);
  const servers = serverList(options);
  const url = servers.map((s) => redactUrl(s)).join(",");
  const brokerJetStream = options.jetstream ?? false;
  let connection: Connection | undefined;
  let inbox: ReplyInbox | undefined;

  const live = (): Connection => {
    if (!connection) throw new ConnectionError(`Not connected to ${url}: connect the broker first`);
    return connection;
  };

  const useJetStream = (channel: string, publish: NatsPublishOptions): boolean =>
    publish.jetstream ?? (publish.msgId !== undefined || live().streams.captures(channel));

  let jsClient: JetStreamClient | undefined;
  const jsPublish = async (
    channel: string,
    message: OutgoingMessage,
    publish: NatsPublishOptions,
    extra: Record<string, string> = {},
  ): Promise<void> => {
    const js = jsClient ??= await live().js();
    const opts: Partial<JetStreamPublishOptions> = {
      headers: headersOf({ ...wireHeaders(message), ...extra }),
    };
    if (publish.msgId) opts.msgID = publish.msgId;
    if (publish.expectStream || publish.expectLastSequence !== undefined) {
      opts.expect = {};
      if (publish.expectStream) opts.expect.streamName = publish.expectStream;
      if (publish.expectLastSequence !== undefined) opts.expect.lastSequence = publish.expectLastSequence;
    }
    await js.publish(channel, message.body, opts);
  };

  const driver: NatsDriver = {
    name: "nats",
    url,
    rules: natsRules,
    docs: natsDocs(options),

    async connect({ logger }) {
      const jsLib = await importClient("@nats-io/jetstream", () => import("@nats-io/jetstream"));
      const kvLib = await importClient("@nats-io/kv", () => import("@nats-io/kv"));
      let nc: NatsConnection;
      try {
        nc = await connectNats(await connectionOptions(options));
      } catch (error) {
        if (error instanceof OptionError) throw error;
        throw new ConnectionError(`Cannot connect to ${url}: ${describeError(error)}. ${hint(error)}`, {
          cause: error,
        });
      }
      logStatus(nc, logger);
      let jsm: Promise<JetStreamManager> | undefined;
      let js: JetStreamClient | undefined;
      let kvm: Kvm | undefined;
      connection = {
        nc,
        logger,
        streams: new KnownStreams(),
        jsm: () => (jsm ??= jsLib.jetstreamManager(nc).catch((error) => {
          jsm = undefined;
          throw new ConnectionError(
            `JetStream is not available on ${url} (${describeError(error)}): start nats-server with -js`,
            { cause: error },
          );
        })),
        js: async () => (js ??= (await connection!.jsm(), jsLib.jetstream(nc))),
        kvm: async () => (kvm ??= new kvLib.Kvm(await connection!.js())),
      };
      inbox = new ReplyInbox(nc);
      for (const stream of options.streams ?? []) await declareStream(connection, stream);
    },

    async close() {
      jsClient = undefined;
      inbox?.close();
      inbox = undefined;
      const nc = connection?.nc;
      connection = undefined;
      flushAcks();
      if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    },

    subscribe(
      spec: SubscriptionSpec<NatsSubscribeOptions>,
      deliver: Deliver,
      events?: SubscriptionEvents,
    ): Promise<SubscriptionHandle> {
      parseOptions(subscribeOptions, spec.options, spec.template);
      const conn = live();
      if (spec.options.kv !== undefined) return subscribeKv(conn, spec, deliver);
      if (spec.options.objects !== undefined) return subscribeObjects(conn, spec, deliver);
      assertSubscribeSubject(spec.channel);
      if (usesJetStream(spec, brokerJetStream)) return subscribeJetStream(conn, spec, deliver);
      return subscribeCore(conn, spec, deliver, events);
    },

    async publish(channel, message, publish) {
      checkPublishOptions(publish, channel);
      assertPublishSubject(channel);
      const { nc } = live();
      if (useJetStream(channel, publish)) return await jsPublish(channel, message, publish);
      nc.publish(channel, message.body, {
        headers: headersOf(wireHeaders(message)),
        ...(message.replyTo ? { reply: message.replyTo } : {}),
      });
    },

    async publishBatch(channel, messages, publish) {
      checkPublishOptions(publish, channel);
      assertPublishSubject(channel);
      const { nc } = live();
      if (useJetStream(channel, publish)) {
        await Promise.all(messages.map((m) => jsPublish(channel, m, publish)));
        return;
      }
      for (const message of messages) {
        nc.publish(channel, message.body, { headers: headersOf(wireHeaders(message)) });
      }
      await nc.flush();
    },

    request(channel, message, request): Promise<IncomingMessage> {
      const { timeout, signal, ...publish } = request;
      checkPublishOptions(publish, channel);
      assertPublishSubject(channel);
      const { nc } = live();
      const jetstream = useJetStream(channel, publish);
      return inbox!.request(channel, timeout, signal, (reply) => {
        if (jetstream) return jsPublish(channel, message, publish, { reply_to: reply });
        nc.publish(channel, message.body, {
          headers: headersOf({ ...wireHeaders(message), reply_to: reply }),
          reply,
        });
      });
    },

    async ping() {
      await live().nc.flush();
    },

    kv: (bucket) => openKeyValue(live(), bucket),
    objects: (bucket) => openObjectStore(live(), bucket),
  };
  return driver;
}
