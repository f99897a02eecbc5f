import type { Logger } from "@sluice/core";
import type { Logger as PinoLogger } from "pino";

/** Sluice's logger on a pino logger: Sluice's fields become pino's merge object, and `child` pino's child. */
export function fromPino(log: PinoLogger): Logger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
    child: (fields) => fromPino(log.child(fields)),
  };
}
