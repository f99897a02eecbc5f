import { type } from "arktype";
import { type BrokerOptions, CORE_BROKER_OPTIONS } from "@sluice/core";
import { type OptionsSchema, optionsSchema } from "@sluice/core/kit";

/** Options of the toy broker, beside the core's. */
export interface ToyOptions extends BrokerOptions {
  /** Which toy server to talk to; `default` by default. */
  readonly server?: string;
}

/** Toy options of a subscriber: none beyond the core's. */
export type ToySubscribeOptions = Readonly<Record<never, never>>;

/** Toy options of a publish: a delay before the server gets it. */
export interface ToyPublishOptions {
  /** Milliseconds to wait before the message reaches the server. */
  readonly delay?: number;
}

const Broker = type({ "server?": "string > 0" });
const Publish = type({ "delay?": "number.integer >= 0" });

/** The broker's options: the toy's and the core's. */
export const brokerOptions: OptionsSchema<ToyOptions> = optionsSchema({
  what: "toy broker",
  keys: ["server"],
  schema: Broker,
  core: CORE_BROKER_OPTIONS,
});

/** A subscriber's toy options (the core's are removed before the driver sees them). */
export const subscribeOptions: OptionsSchema<ToySubscribeOptions> = optionsSchema({
  what: "toy subscriber",
  keys: [],
  schema: type({}),
});

/** A publish's toy options. */
export const publishOptions: OptionsSchema<ToyPublishOptions> = optionsSchema({
  what: "toy publish",
  keys: ["delay"],
  schema: Publish,
});

/** Options from a `toy://name` URL. */
export function optionsFromUrl(url: URL): ToyOptions {
  return url.hostname ? { server: url.hostname } : {};
}
