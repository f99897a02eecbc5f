import { createLogger, type Deliver, type Driver, type Logger } from "@sluice/core";
import { type CapturedLogs, captureLogs } from "@sluice/core/testing";

/** A logger whose records a test can inspect. */
export function recordingLogger(): { logger: Logger; logs: CapturedLogs } {
  const logs = captureLogs();
  return { logger: createLogger({ level: "debug", sink: logs.sink }), logs };
}

/** A promise and the function that resolves it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A driver that delivers the bodies given to it on `orders` and records how each message settled; `ack`
 * decides what an ack returns (a resolved promise by default, `SETTLED` for a driver that acks synchronously).
 */
export function recordingDriver(ack: (id: string) => Promise<void> = () => Promise.resolve()): {
  driver: Driver;
  deliver(id: string, body: unknown): Promise<void>;
  settled: string[];
} {
  const settled: string[] = [];
  let handOver: Deliver | undefined;
  const driver: Driver = {
    name: "recording",
    url: "recording://",
    rules: { separator: ".", pattern: (t) => t },
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    publish: () => Promise.resolve(),
    subscribe(_spec, deliver) {
      handOver = deliver;
      return Promise.resolve({ stop: () => Promise.resolve() });
    },
  };
  const deliver = (id: string, body: unknown) => {
    return handOver!({
      channel: "orders",
      body: new TextEncoder().encode(JSON.stringify(body)),
      headers: {},
      contentType: "application/json",
      messageId: id,
      ack: () => (settled.push(`ack ${id}`), ack(id)),
      nack: () => (settled.push(`nack ${id}`), Promise.resolve()),
      reject: () => (settled.push(`reject ${id}`), Promise.resolve()),
    });
  };
  return { driver, deliver, settled };
}
