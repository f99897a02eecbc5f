/**
 * kafkajs's logger, routed into the Sluice logger. kafkajs is noisy — it logs rebalances, retries and
 * first-publish metadata misses as errors — so its levels are lowered one step: its errors become warnings,
 * its warnings and infos become debug lines, its debug lines are dropped. Only a few fields are kept
 * (never connection settings, which may hold credentials).
 *
 * @module
 */

import type { Logger } from "@sluice/core";

/** kafkajs's numeric log levels. */
export interface KafkaLogLevels {
  readonly NOTHING: number;
  readonly ERROR: number;
  readonly WARN: number;
  readonly INFO: number;
  readonly DEBUG: number;
}

interface LogEntry {
  readonly namespace: string;
  readonly level: number;
  readonly log: { readonly message: string; readonly [field: string]: unknown };
}

const KEPT = ["broker", "groupId", "topic", "partition", "error", "retryCount", "retryTime"];

/** Messages kafkajs logs as errors that are routine (retried or recovered by itself). */
const ROUTINE =
  /rebalanc|does not host this topic-partition|LEADER_NOT_AVAILABLE|There is no leader|re-joining/i;

/** A kafkajs `logCreator` writing into `logger`. */
export function kafkaLogCreator(logger: Logger, levels: KafkaLogLevels): () => (entry: LogEntry) => void {
  const log = logger.child({ client: "kafkajs" });
  return () => ({ namespace, level, log: entry }) => {
    if (level >= levels.DEBUG) return;
    const fields: Record<string, unknown> = { namespace };
    for (const key of KEPT) if (entry[key] !== undefined) fields[key] = entry[key];
    const text = String(entry.message ?? "").trim();
    if (level === levels.ERROR && !ROUTINE.test(`${text} ${String(entry.error ?? "")}`)) {
      log.warn(text, fields);
    } else log.debug(text, fields);
  };
}
