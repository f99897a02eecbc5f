// Helpers of the NATS tests.
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

/** Deletes the streams (and key-value buckets, which are streams `KV_<bucket>`) whose names match. */
export async function removeTestStreams(url: string, names: RegExp): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (names.test(name)) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

/** The version a server reports, for behaviour that depends on it. */
export async function serverVersion(url: string): Promise<string | undefined> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    return nc.info?.version;
  } finally {
    await nc.close();
  }
}

/** Waits until `condition` holds, or fails after `timeout` ms. */
export async function until(condition: () => boolean, timeout = 5000, what = "the condition"): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A unique name for a test's subjects, streams and buckets. */
export function unique(prefix = "t"): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Where a feature test runs: the emulation always, the real server when there is one. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
  /** Broker options for this target (the server's URL when real). */
  readonly servers?: string;
}

/** The emulation, and the real server at `url` if any (realBroker printed the SKIP line otherwise). */
export function targets(url: string | undefined): Target[] {
  const list: Target[] = [{ name: "emulation", real: false }];
  if (url) list.push({ name: "real", real: true, servers: url });
  return list;
}
