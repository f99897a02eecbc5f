/**
 * Structured logging. Every line carries fields (subscriber, message id, correlation id) beside its text, so
 * a line can be found by the message it is about. The built-in logger writes them pretty for people or as
 * JSON lines for log collectors; plug in any other logger with four methods and `child`.
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

/** How the built-in logger writes a line: `pretty` for people, `json` for log collectors. */
export type LogFormat = "pretty" | "json";

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

// The names a JSON line gives the record itself; a field of the same name is written as `fields.<name>`.
const RECORD_KEYS = new Set(["time", "level", "message"]);

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return value;
}

/**
 * Formats a record as one JSON object on one line: `time`, `level` and `message`, then the fields (broker,
 * subscriber, messageId, correlationId, and whatever middlewares added, such as traceId). Errors become
 * `"Name: message"`, bigints strings, and a value that cannot be serialised (a cycle) its `String()`.
 */
export function formatJson(record: LogRecord): string {
  const line: Record<string, unknown> = {
    time: record.time.toISOString(),
    level: record.level,
    message: record.message,
  };
  for (const key in record.fields) {
    const value = record.fields[key];
    if (value !== undefined) line[RECORD_KEYS.has(key) ? `fields.${key}` : key] = value;
  }
  try {
    return JSON.stringify(line, jsonValue);
  } catch {
    for (const key in line) {
      try {
        JSON.stringify(line[key], jsonValue);
      } catch {
        line[key] = String(line[key]);
      }
    }
    return JSON.stringify(line, jsonValue);
  }
}

function consoleSink(format: LogFormat): (record: LogRecord) => void {
  const toLine = format === "json" ? formatJson : formatRecord;
  return (record) => {
    const line = toLine(record);
    if (record.level === "error") console.error(line);
    else if (record.level === "warn") console.warn(line);
    else console.log(line);
  };
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** The least severe level written; `info` by default. */
  readonly level?: LogLevel;
  /** Where records go; the console by default. */
  readonly sink?: (record: LogRecord) => void;
  /** How the console sink writes a line; `pretty` by default. A custom `sink` gets records, not lines. */
  readonly format?: LogFormat;
  /** Fields on every line. */
  readonly fields?: LogFields;
}

/**
 * A logger writing to the console (or `sink`) from `level` up, pretty or, with `format: "json"`, as one JSON
 * object per line.
 *
 * @example
 * ```ts
 * import { createLogger } from "@sluice/core";
 * const logger = createLogger({ level: "debug", format: "json" });
 * logger.info("started", { subscriber: "orders" });
 * // {"time":"…","level":"info","message":"started","subscriber":"orders"}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const sink = options.sink ?? consoleSink(options.format ?? "pretty");
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
