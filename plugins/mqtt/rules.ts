/**
 * MQTT topic rules: `/` separates levels, `+` matches one level, `#` (last) matches any number of levels
 * including none, and topics starting with `$` are not matched by filters starting with a wildcard — exactly
 * as the MQTT specification (3.1.1 §4.7, 5.0 §4.7) defines them.
 *
 * @module
 */

import { OptionError, type RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { replaceParams } from "@sluice/core/kit";
import type { MqttOptions } from "./options.ts";
import { shown, stringProblem } from "./_strings.ts";

const SHARE = "$share/";

/** Splits `$share/<group>/<filter>` into its group and filter; other filters have no group. */
export function splitShared(filter: string): { readonly group?: string; readonly filter: string } {
  if (!filter.startsWith(SHARE)) return { filter };
  const rest = filter.slice(SHARE.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return { filter };
  return { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** Whether a message published on `topic` reaches a subscription on `filter` (a `$share/` filter included). */
export function topicMatches(filter: string, topic: string): boolean {
  const plain = splitShared(filter).filter;
  if (topic.startsWith("$") && (plain.startsWith("+") || plain.startsWith("#"))) return false;
  const f = plain.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === "#") return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Throws an {@linkcode OptionError} unless `filter` is a valid MQTT topic filter. */
export function assertFilter(filter: string): void {
  const problem = filterProblem(filter);
  if (problem) throw new OptionError(`Invalid MQTT topic filter "${shown(filter)}": ${problem}`);
}

function filterProblem(filter: string): string | undefined {
  if (filter.length === 0) return "it is empty";
  const problem = stringProblem(filter);
  if (problem) return `it has ${problem}, which a broker refuses`;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      return "# must be a whole level and the last one (write a/#)";
    }
    if (level.includes("+") && level !== "+") return "+ must be a whole level (write a/+/b)";
  }
  return undefined;
}

/** Throws an {@linkcode OptionError} unless `topic` is a topic a message can be published to. */
export function assertTopic(topic: string): void {
  if (topic.length === 0) throw new OptionError("Cannot publish to an empty MQTT topic");
  if (/[+#]/.test(topic)) {
    throw new OptionError(
      `Cannot publish to "${shown(topic)}": MQTT topic names cannot contain the wildcards + and #`,
    );
  }
  if (topic.startsWith("$SYS") || topic.startsWith("$share")) {
    // Mosquitto answers "not authorized" at QoS 1 and 2 and drops the message silently at QoS 0: refused
    // here, before it is lost, and the same way in the emulation.
    throw new OptionError(
      `Cannot publish to "${
        shown(topic)
      }": topics starting with $SYS or $share are reserved by the broker, ` +
        `which refuses a client's publish there`,
    );
  }
  const problem = stringProblem(topic);
  if (problem) {
    throw new OptionError(
      `Cannot publish to "${
        shown(topic)
      }": the topic has ${problem}, which a broker refuses (it would drop ` +
        `the connection)`,
    );
  }
}

/** Throws an {@linkcode OptionError} unless `group` can name a shared subscription. */
export function assertGroup(group: string): void {
  if (group.length === 0 || /[/+#]/.test(group) || stringProblem(group)) {
    throw new OptionError(
      `Invalid group "${
        shown(group)
      }": an MQTT shared-subscription name must be non-empty, without / + or # ` +
        `(or control characters)`,
    );
  }
}

/** The subscription filter of a subscriber: `$share/<group>/<filter>` with a group, else the filter. */
export function subscriptionFilter(filter: string, group: string | undefined): string {
  assertFilter(filter);
  if (group === undefined) return filter;
  assertGroup(group);
  return `${SHARE}${group}/${filter}`;
}

/**
 * The channel rules of MQTT: `sensors/{room}/temp` subscribes to `sensors/+/temp` and captures `room`.
 *
 * @example
 * ```ts
 * import { mqttRules } from "@sluice/mqtt";
 * mqttRules.pattern("sensors/{room}/temp"); // "sensors/+/temp"
 * mqttRules.matches("a/#", "a"); // true
 * mqttRules.matches("#", "$SYS/uptime"); // false
 * ```
 */
export const mqttRules: RoutingRules = {
  separator: "/",
  pattern: (template) => replaceParams(template, "+"),
  matches: topicMatches,
};

const FEATURES: Features = Object.freeze({ wildcards: true, groups: true, fanout: true, redelivery: false });

/**
 * What an MQTT broker does of what the conformance suite asks, on the broker and in the emulation alike,
 * whatever the options: `+` and `#` filters, shared subscriptions, every subscription gets every message.
 * Not redelivery: a broker resends an unacknowledged message only on a new connection of a persistent
 * session, so `nack()` hands the message over again from this process (see the README), not from the broker.
 */
export function features(_options?: MqttOptions): Features {
  return FEATURES;
}
