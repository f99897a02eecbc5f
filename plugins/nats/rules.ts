/**
 * How NATS names subjects — `.` separated tokens, `*` matches one token, `>` one or more at the end — and
 * what a NATS broker can do for the conformance suite.
 *
 * @module
 */

import { OptionError, type RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { levelMatcher, replaceParams } from "@sluice/core/kit";
import type { NatsOptions } from "./options.ts";

const tokens = levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false });

/** What the client library refuses in any subject: it throws before anything reaches the server. */
const WHITESPACE = /[ \n\r\t]/;

function shown(subject: string): string {
  return JSON.stringify(subject);
}

/**
 * Throws an {@linkcode OptionError} unless `subject` can be published to: not empty, no whitespace (the
 * client library refuses both). A subject with an empty token (`a..b`, `.a`, `a.`) is accepted by the server
 * and reaches no subscriber, so it is not refused here; {@linkcode natsRules} matches nothing to it.
 */
export function assertPublishSubject(subject: string): void {
  if (subject.length === 0 || WHITESPACE.test(subject)) {
    throw new OptionError(
      `Invalid NATS subject ${shown(subject)}: a subject is not empty and has no whitespace`,
    );
  }
}

/**
 * Throws an {@linkcode OptionError} unless nats-server accepts `subject` as a subscription: no whitespace, no
 * empty token (`a..b`, `.a`, `a.`), `>` only as the last token. `*` or `>` inside a longer token (`a*`) is
 * a literal, as on the server.
 */
export function assertSubscribeSubject(subject: string): void {
  assertPublishSubject(subject);
  const parts = subject.split(".");
  for (let i = 0; i < parts.length; i++) {
    const token = parts[i]!;
    if (token.length === 0) {
      throw new OptionError(
        `Invalid NATS subject ${shown(subject)}: it has an empty token (write a.b, not a..b)`,
      );
    }
    if (token === ">" && i !== parts.length - 1) {
      throw new OptionError(`Invalid NATS subject ${shown(subject)}: > must be the last token (write a.>)`);
    }
    if (token.includes("\f")) {
      throw new OptionError(`Invalid NATS subject ${shown(subject)}: it has whitespace`);
    }
  }
}

/**
 * NATS subject rules: `logs.{level}` subscribes to `logs.*`; `>` matches one or more trailing tokens; a
 * subject with an empty token reaches no subscription (the server's matching returns nothing for it).
 */
export const natsRules: RoutingRules = {
  separator: ".",
  pattern: (template: string): string => replaceParams(template, "*"),
  matches: (pattern, subject) => !subject.split(".").includes("") && tokens(pattern, subject),
};

/**
 * What a NATS broker made with these options can do. Core NATS cannot redeliver, so `redelivery` holds only
 * when subscribers are on JetStream by default (`jetstream: true`).
 *
 * @example
 * ```ts
 * import { features } from "@sluice/nats";
 * features({ jetstream: true }).redelivery; // true
 * ```
 */
export function features(options: Pick<NatsOptions, "jetstream"> = {}): Features {
  return { wildcards: true, groups: true, fanout: true, redelivery: options.jetstream ?? false };
}
