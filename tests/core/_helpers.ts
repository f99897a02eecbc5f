import { createLogger, type Logger } from "@sluice/core";
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
