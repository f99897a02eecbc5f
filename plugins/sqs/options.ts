/**
 * Options of the SQS plugin — broker, queue declarations, subscribers, publishes — validated with arktype
 * when they are given, and the `sqs://` URL form.
 *
 * @module
 */

import { type } from "arktype";
import { OptionError } from "@sluice/core";
import { redactUrl } from "@sluice/core/internal";

/** Credentials for SQS (or any SQS-compatible server, which accepts anything). */
export interface SqsCredentials {
  /** The access key id. */
  readonly accessKeyId: string;
  /** The secret access key; never logged. */
  readonly secretAccessKey: string;
  /** The session token of temporary credentials. */
  readonly sessionToken?: string;
}

/** A dead-letter target of a queue: SQS moves a message there once it was received `maxReceiveCount` times. */
export interface RedrivePolicy {
  /** The dead-letter queue's name (declared the same way, created first when missing). */
  readonly queue: string;
  /** Receives before SQS moves the message (1–1000). */
  readonly maxReceiveCount: number;
}

/**
 * How a queue is declared. Times are in seconds, as SQS counts them. A FIFO queue's name ends with `.fifo`.
 *
 * @example
 * ```ts
 * const orders = { visibilityTimeout: 60, deadLetter: { queue: "orders-dlq", maxReceiveCount: 5 } };
 * ```
 */
export interface QueueDeclaration {
  /** An existing queue's URL: no lookup, no creation. */
  readonly url?: string;
  /** Create the queue when it is missing; the broker's `createQueues` by default. */
  readonly create?: boolean;
  /** A FIFO queue; by default when the name ends with `.fifo`. */
  readonly fifo?: boolean;
  /** Seconds a received message stays invisible to other consumers (0–43 200); SQS's default is 30. */
  readonly visibilityTimeout?: number;
  /** Seconds SQS keeps a message (60–1 209 600); SQS's default is 4 days. */
  readonly retentionPeriod?: number;
  /** Seconds every new message waits before it becomes visible (0–900). */
  readonly delaySeconds?: number;
  /** FIFO only: de-duplicate by a hash of the body when no de-duplication id is given. */
  readonly contentBasedDeduplication?: boolean;
  /** Where SQS moves a message after `maxReceiveCount` receives. */
  readonly deadLetter?: RedrivePolicy;
  /** Further SQS queue attributes, passed as they are (e.g. `KmsMasterKeyId`). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** Options of the SQS broker (beside the core's `BrokerOptions`). */
export interface SqsOptions {
  /** `sqs://[key:secret@]host[:port][?region=…&tls=true|false]`; see the README. */
  readonly url?: string;
  /** The endpoint, e.g. `http://127.0.0.1:9324`; AWS's regional endpoint by default. */
  readonly endpoint?: string;
  /** The region; from the URL, `AWS_REGION` or `AWS_DEFAULT_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Credentials; from the URL, else the AWS SDK's default chain (environment, profile, instance role). */
  readonly credentials?: SqsCredentials;
  /** Create queues nobody declared on first use (as the conformance suite expects); true by default. */
  readonly createQueues?: boolean;
  /** Queue declarations by name, applied on first use by a subscriber or a publish. */
  readonly queues?: Readonly<Record<string, QueueDeclaration>>;
  /** Long-polling seconds of each receive (0–20); 20 by default. `stop()` aborts a poll at once. */
  readonly waitTimeSeconds?: number;
  /** Extra settings of the `SQSClient` (e.g. `maxAttempts`), passed as they are. */
  readonly client?: Readonly<Record<string, unknown>>;
}

/** SQS options of a subscriber (beside the core's `SubscriberOptions`). */
export interface SqsSubscribeOptions {
  /** Declares the subscriber's queue (or names an existing one by URL). */
  readonly queue?: QueueDeclaration;
  /** Long-polling seconds of each receive (0–20); the broker's by default. */
  readonly waitTimeSeconds?: number;
  /** Seconds of invisibility asked for at receive; the queue's visibility timeout by default. */
  readonly visibilityTimeout?: number;
  /** Extends the visibility of a message while its handler works; true by default. */
  readonly heartbeat?: boolean;
  /** Parallel receive calls; by default one per 10 messages of prefetch, at most 4. */
  readonly receivers?: number;
}

/** SQS options of a publish (beside the core's `PublishOptions`). */
export interface SqsPublishOptions {
  /** Seconds before the message becomes visible (0–900). Not on FIFO queues, which delay per queue. */
  readonly delaySeconds?: number;
  /**
   * The message group; it arrives as `message.key`. On a FIFO queue order holds within a group, `default`
   * by default; on a standard queue it is the group of SQS fair queues (no order), none by default.
   */
  readonly groupId?: string;
  /** FIFO: the de-duplication id; the message id by default (unless content-based de-duplication is on). */
  readonly deduplicationId?: string;
}

const seconds = (max: number) =>
  type("number.integer").narrow((n, ctx) =>
    (n >= 0 && n <= max) || ctx.mustBe(`an integer from 0 to ${max}`)
  );

const Declaration = type({
  "url?": "string",
  "create?": "boolean",
  "fifo?": "boolean",
  "visibilityTimeout?": seconds(43_200),
  "retentionPeriod?": type("60 <= number.integer <= 1209600"),
  "delaySeconds?": seconds(900),
  "contentBasedDeduplication?": "boolean",
  "deadLetter?": { queue: "string > 0", maxReceiveCount: "1 <= number.integer <= 1000" },
  "attributes?": "Record<string, string>",
});

const BrokerSchema = type({
  "url?": "string",
  "endpoint?": "string",
  "region?": "string",
  "credentials?": { accessKeyId: "string", secretAccessKey: "string", "sessionToken?": "string" },
  "createQueues?": "boolean",
  "queues?": type.Record("string", Declaration),
  "waitTimeSeconds?": seconds(20),
  "client?": "object",
});

const SubscribeSchema = type({
  "queue?": Declaration,
  "waitTimeSeconds?": seconds(20),
  "visibilityTimeout?": seconds(43_200),
  "heartbeat?": "boolean",
  "receivers?": "1 <= number.integer <= 100",
});

const PublishSchema = type({
  "delaySeconds?": seconds(900),
  "groupId?": "0 < string <= 128",
  "deduplicationId?": "0 < string <= 128",
});

function check<T>(schema: (input: unknown) => unknown, input: unknown, what: string): T {
  // An option given as undefined counts as not given.
  const defined = Object.fromEntries(
    Object.entries(input as Record<string, unknown>).filter(([, value]) => value !== undefined),
  );
  const out = schema(defined);
  if (out instanceof type.errors) {
    throw new OptionError(`Invalid SQS ${what}: ${out.summary}`);
  }
  return out as T;
}

/** Validates broker options; throws an {@linkcode OptionError} naming the option. */
export function checkBrokerOptions(options: SqsOptions): SqsOptions {
  const checked = check<SqsOptions>(BrokerSchema, options, "broker option");
  for (const name of Object.keys(options.queues ?? {})) checkQueueName(name);
  return checked;
}

/** Validates a queue declaration. */
export function checkDeclaration(declaration: QueueDeclaration, name: string): QueueDeclaration {
  return check<QueueDeclaration>(Declaration, declaration, `declaration of queue ${name}`);
}

/** Validates a subscriber's SQS options (the core's own options pass through untouched). */
export function checkSubscribeOptions(
  options: Record<string, unknown>,
  channel: string,
): SqsSubscribeOptions {
  return check<SqsSubscribeOptions>(SubscribeSchema, options, `subscriber option of ${channel}`);
}

const PUBLISH_KEYS = ["delaySeconds", "groupId", "deduplicationId"];

/** Validates a publish's SQS options; cheap when there are none. */
export function checkPublishOptions(options: SqsPublishOptions, channel: string): SqsPublishOptions {
  const record = options as Record<string, unknown>;
  if (!PUBLISH_KEYS.some((key) => record[key] !== undefined)) return options;
  return check<SqsPublishOptions>(PublishSchema, options, `publish option to ${channel}`);
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$/;

/** Whether a channel is a queue URL rather than a name. */
export function isQueueUrl(channel: string): boolean {
  return /^https?:\/\//.test(channel);
}

/** Throws an {@linkcode OptionError} unless `name` is a valid SQS queue name (or a queue URL). */
export function checkQueueName(name: string): void {
  if (isQueueUrl(name)) return;
  if (!QUEUE_NAME.test(name) || name.length > 80) {
    throw new OptionError(
      `"${name}" is not a valid SQS queue name: use 1–80 characters of A–Z, a–z, 0–9, "-" and "_" ` +
        `(a FIFO queue ends with ".fifo"); separate levels with "-"`,
    );
  }
}

/** Whether a queue is FIFO, from its declaration or its name. */
export function isFifo(name: string, declaration?: QueueDeclaration): boolean {
  return declaration?.fifo ?? name.endsWith(".fifo");
}

/** What the driver needs to build its client. */
export interface ClientSettings {
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials?: SqsCredentials;
  /** Where it connects, without credentials, for logs and errors. */
  readonly display: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * Resolves endpoint, region and credentials from the URL, the options and the environment:
 * `sqs://key:secret@host:port?region=eu-west-1&tls=false`. TLS is on unless the host is a loopback address
 * or `tls=false`; an empty host (`sqs://`) means AWS's own endpoint for the region.
 */
export function clientSettings(options: SqsOptions, env: Record<string, string | undefined>): ClientSettings {
  let endpoint = options.endpoint;
  let region = options.region;
  let credentials = options.credentials;
  let display = endpoint ?? "sqs://";
  if (options.url) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new OptionError(
        `"${redactUrl(options.url)}" is not a URL: write it like sqs://127.0.0.1:9324?region=us-east-1`,
      );
    }
    if (url.protocol !== "sqs:") {
      throw new OptionError(`"${redactUrl(url)}" is not an sqs:// URL`);
    }
    const tlsParam = url.searchParams.get("tls");
    if (tlsParam !== null && !["true", "false", "1", "0"].includes(tlsParam)) {
      throw new OptionError(`The URL parameter tls must be true or false, got "${tlsParam}"`);
    }
    if (url.hostname) {
      const tls = tlsParam === null ? !LOOPBACK.test(url.hostname) : tlsParam === "true" || tlsParam === "1";
      endpoint ??= `${tls ? "https" : "http"}://${url.host}`;
    }
    region ??= url.searchParams.get("region") ?? undefined;
    if (url.username && !credentials) {
      credentials = {
        accessKeyId: decodeURIComponent(url.username),
        secretAccessKey: decodeURIComponent(url.password),
      };
    }
    const shown = new URL(url);
    shown.username = "";
    shown.password = "";
    display = shown.toString();
  }
  region ??= env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  // A local SQS-compatible server ignores credentials, but the SDK signs every request: without any in
  // the environment, sign with placeholders rather than fail.
  if (!credentials && endpoint && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    const host = new URL(endpoint).hostname;
    if (LOOPBACK.test(host)) credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return { endpoint, region, credentials, display };
}
