/**
 * Options of the SQS plugin — broker, queue declarations, subscribers, publishes — with their schemas,
 * validated when they are given (an unknown one fails with the closest known name), and the `sqs://` URL
 * form.
 *
 * @module
 */

import { type } from "arktype";
import {
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISH_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  OptionError,
} from "@sluice/core";
import { didYouMean, type OptionsSchema, optionsSchema, parseOptions, redactUrl } from "@sluice/core/kit";

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

/** Options of the SQS broker, beside the core's. */
export interface SqsOptions extends BrokerOptions {
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

/** SQS options of a subscriber, beside the core's. */
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

/** SQS options of a publish, beside the core's. */
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

/** What these helpers read of an arktype object schema: the keys it declares. */
interface Declared {
  readonly props: readonly { readonly key: PropertyKey }[];
}

function keysOf(shape: type.Any<object>): string[] {
  return (shape as unknown as Declared).props.map((prop) => String(prop.key));
}

/** An object schema that also refuses keys it does not declare, naming the closest declared one. */
function closed<S extends type.Any<object>>(shape: S): S {
  const keys = keysOf(shape);
  return (shape as type.Any<object>).narrow((value: object, ctx) => {
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue;
      const hint = didYouMean(key, keys);
      return ctx.reject({
        problem: `has an unknown option "${key}"${hint ? `: did you mean "${hint}"?` : ""} Allowed: ${
          keys.join(", ")
        }`,
      });
    }
    return true;
  }) as unknown as S;
}

/** The options schema of an arktype object schema, whose keys are the plugin's option names. */
function schemaOf<T>(what: string, shape: type.Any<object>, core: readonly string[]): OptionsSchema<T> {
  return optionsSchema<T>({ what, keys: keysOf(shape), schema: shape, core });
}

const Declaration = closed(type({
  "url?": "string",
  "create?": "boolean",
  "fifo?": "boolean",
  "visibilityTimeout?": seconds(43_200),
  "retentionPeriod?": type("60 <= number.integer <= 1209600"),
  "delaySeconds?": seconds(900),
  "contentBasedDeduplication?": "boolean",
  "deadLetter?": closed(type({ queue: "string > 0", maxReceiveCount: "1 <= number.integer <= 1000" })),
  "attributes?": "Record<string, string>",
}));

const BrokerShape = type({
  "url?": "string",
  "endpoint?": "string",
  "region?": "string",
  "credentials?": closed(
    type({ accessKeyId: "string", secretAccessKey: "string", "sessionToken?": "string" }),
  ),
  "createQueues?": "boolean",
  "queues?": type.Record("string", Declaration),
  "waitTimeSeconds?": seconds(20),
  "client?": "object",
});

const SubscribeShape = type({
  "queue?": Declaration,
  "waitTimeSeconds?": seconds(20),
  "visibilityTimeout?": seconds(43_200),
  "heartbeat?": "boolean",
  "receivers?": "1 <= number.integer <= 100",
});

const PublishShape = type({
  "delaySeconds?": seconds(900),
  // SQS takes 1 to 128 ASCII letters, digits and punctuation here, and refuses anything else (a space, é).
  "groupId?": "/^[!-~]{1,128}$/",
  "deduplicationId?": "/^[!-~]{1,128}$/",
});

/** The SQS broker's options, beside the core's. */
export const brokerOptions: OptionsSchema<SqsOptions> = schemaOf<SqsOptions>(
  "SQS broker",
  BrokerShape,
  CORE_BROKER_OPTIONS,
);

/** An SQS subscriber's own options (the core's go beside them). */
export const subscribeOptions: OptionsSchema<SqsSubscribeOptions> = schemaOf<SqsSubscribeOptions>(
  "SQS subscriber",
  SubscribeShape,
  CORE_SUBSCRIBER_OPTIONS,
);

/** An SQS publish's own options (the core's go beside them). */
export const publishOptions: OptionsSchema<SqsPublishOptions> = schemaOf<SqsPublishOptions>(
  "SQS publish",
  PublishShape,
  CORE_PUBLISH_OPTIONS,
);

/** Validates broker options, the URL and the declared queues' names included; throws an {@linkcode OptionError}. */
export function parseBrokerOptions(options: SqsOptions): SqsOptions {
  const parsed = parseOptions(brokerOptions, options);
  for (const name of Object.keys(options.queues ?? {})) checkQueueName(name);
  if (options.url !== undefined) clientSettings({ url: options.url }, {});
  return parsed;
}

/** Validates a publish's SQS options; free when there are none, as on most publishes. */
export function parsePublishOptions(options: SqsPublishOptions, channel: string): SqsPublishOptions {
  for (const _ in options) return parseOptions(publishOptions, options, channel);
  return options;
}

/**
 * The broker options an `sqs://` URL gives: the URL itself, which carries the endpoint, TLS, the region and
 * the credentials (see {@linkcode clientSettings}). Throws an {@linkcode OptionError}, without the
 * credentials, when it is not such a URL.
 */
export function optionsFromUrl(url: URL | string): SqsOptions {
  const text = url.toString();
  clientSettings({ url: text }, {});
  return { url: text };
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
