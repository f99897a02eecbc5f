import type { Driver, SubscriptionHandle } from "@sluice/core";
import { DeliveryWindow, parseOptions, storedMessage } from "@sluice/core/kit";
import {
  publishOptions,
  subscribeOptions,
  type ToyOptions,
  type ToyPublishOptions,
  type ToySubscribeOptions,
} from "./options.ts";
import { toyRules } from "./rules.ts";
import { server as serverNamed, type ToyServer } from "./_server.ts";

/** The toy driver. */
export type ToyDriver = Driver<ToySubscribeOptions, ToyPublishOptions>;

/** Creates the toy driver; it connects to the toy server its options name. */
export function toyDriver(options: ToyOptions = {}): ToyDriver {
  const name = options.server ?? "default";
  let server: ToyServer | undefined;
  const connected = (): ToyServer => {
    if (!server) throw new Error(`Not connected to toy://${name}`);
    return server;
  };
  return {
    name: "toy",
    url: `toy://${name}`,
    rules: toyRules,
    connect() {
      server = serverNamed(name);
      return Promise.resolve();
    },
    close() {
      server = undefined;
      return Promise.resolve();
    },
    subscribe(spec, deliver): Promise<SubscriptionHandle> {
      parseOptions(subscribeOptions, spec.options, spec.template);
      const queue = connected().queue(spec.channel, spec.group);
      // The server pushes; the window keeps at most `prefetch` messages unsettled in the core.
      const window = new DeliveryWindow(spec.prefetch);
      const cancel = queue.consume(spec.prefetch, (message) => {
        window.hand(deliver, message);
        return window.whenRoom();
      });
      return Promise.resolve({
        stop() {
          cancel();
          window.close();
          return Promise.resolve();
        },
      });
    },
    async publish(channel, message, publish) {
      parseOptions(publishOptions, publish, channel);
      const target = connected();
      if (publish.delay) await new Promise((resolve) => setTimeout(resolve, publish.delay));
      target.publish(storedMessage(channel, message), toyRules.matches);
    },
    ping() {
      connected();
      return Promise.resolve();
    },
  };
}
