// The toy broker itself: a server living in the process, reached by name (`toy://name`). A real plugin
// talks to a real broker over the network instead; this one stands in for it so the guide runs anywhere.
import { Activity, MemoryQueue, type StoredMessage } from "@sluice/core/kit";

interface Subscription {
  readonly pattern: string;
  readonly queue: MemoryQueue;
}

/** One toy server: subscriptions by pattern and group, each a queue with ack and redelivery. */
export class ToyServer {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly activity: Activity = new Activity();
  #ids = 0;

  /** The queue of a group on a pattern (shared by the group's members), or a queue of its own. */
  queue(pattern: string, group: string | undefined): MemoryQueue {
    const key = group === undefined ? `#${++this.#ids}` : `${group}\u0000${pattern}`;
    let subscription = this.#subscriptions.get(key);
    if (!subscription) {
      subscription = { pattern, queue: new MemoryQueue(key, { activity: this.activity }) };
      this.#subscriptions.set(key, subscription);
    }
    return subscription.queue;
  }

  /** Routes a message to every subscription whose pattern matches its channel. */
  publish(message: StoredMessage, matches: (pattern: string, channel: string) => boolean): void {
    for (const { pattern, queue } of this.#subscriptions.values()) {
      if (matches(pattern, message.channel)) queue.push(message);
    }
  }
}

const servers = new Map<string, ToyServer>();

/** The server of a name, started on first use. */
export function server(name: string): ToyServer {
  let found = servers.get(name);
  if (!found) servers.set(name, found = new ToyServer());
  return found;
}
