/**
 * Structured logging. Every line carries fields (subscriber, message id, correlation id) beside its text, so
 * a line can be found by the message it is about. Plug in any logger with four methods.
 *
 * @module
 */

/** Fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A structured logger. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, fields?: LogFields): void;
  /** Normal events. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and was handled. */
  warn(message: string, fields?: LogFields): void;
  /** Something went wrong that someone should look at. */
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** One log line as a sink receives it. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
  readonly time: Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === "string") return /^[\w.:/@-]*$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Formats a record as `time LEVEL message key=value …`. */
export function formatRecord(record: LogRecord): string {
  let line = `${record.time.toISOString()} ${record.level.toUpperCase().padEnd(5)} ${record.message}`;
  for (const [key, value] of Object.entries(record.fields)) {
    if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
  }
  return line;
}

function consoleSink(record: LogRecord): void {
  const line = formatRecord(record);
  if (record.level === "error") console.error(line);
  else if (record.level === "warn") console.warn(line);
  else console.log(line);
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** The least severe level written; `info` by default. */
  readonly level?: LogLevel;
  /** Where records go; the console by default. */
  readonly sink?: (record: LogRecord) => void;
  /** Fields on every line. */
  readonly fields?: LogFields;
}

/**
 * A logger writing to the console (or `sink`) from `level` up.
 *
 * @example
 * ```ts
 * import { createLogger } from "@sluice/core";
 * const logger = createLogger({ level: "debug" });
 * logger.info("started", { subscriber: "orders" });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const sink = options.sink ?? consoleSink;
  const base = options.fields ?? {};
  const write = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    sink({ level, message, fields: fields ? { ...base, ...fields } : base, time: new Date() });
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ level: options.level, sink, fields: { ...base, ...fields } }),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
