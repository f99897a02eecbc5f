/**
 * A small metrics registry with the Prometheus text exposition format (version 0.0.4): counters, gauges and
 * histograms with labels. It has no dependency and runs on any runtime; the hot path is a property update on
 * a series the caller keeps, so counting a message costs no lookup.
 *
 * @module
 */

import { OptionError } from "@sluice/core";

/** The content type of {@linkcode Registry.metrics}' text, for a `/metrics` response. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The default buckets of a duration histogram, in seconds: those of Prometheus' client libraries. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
  Infinity,
]);

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A number as Python's prometheus_client writes it (`1.0`, `0.005`, `1.048576e+06`, `+Inf`), so that the
 * `le` labels of a histogram are the same strings as a FastStream service's and series of both sum together.
 */
export function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  // Python's repr: the shortest round-trip digits, fixed from 1e-4 up to 1e16, `.0` on whole numbers.
  const [digits, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  let text: string;
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    text = `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else {
    text = String(value);
    if (!text.includes(".")) text += ".0";
  }
  // Go (and so prometheus_client) switches to an exponent for seven or more integer digits.
  const dot = text.indexOf(".");
  if (value > 0 && dot > 6) {
    const mantissa = `${text[0]}.${text.slice(1, dot)}${text.slice(dot + 1)}`.replace(/[0.]+$/, "");
    return `${mantissa}e+${String(dot - 1).padStart(2, "0")}`;
  }
  return text;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{labels}`, or nothing for a metric without labels. */
function braces(labels: string): string {
  return labels ? `{${labels}}` : "";
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** What every metric is declared with. */
export interface MetricOptions {
  /** The metric's full name, e.g. `faststream_received_messages_total`. */
  readonly name: string;
  /** One line saying what it counts. */
  readonly help: string;
  /** The names of its labels, in order; `labels()` takes their values in the same order. */
  readonly labelNames: readonly string[];
}

/** A histogram's options. */
export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, ascending; `+Inf` is added when missing. {@linkcode DEFAULT_BUCKETS} by default. */
  readonly buckets?: readonly number[];
}

/** One counter series: a value that only goes up. */
export class CounterSeries {
  /** The count. */
  value = 0;
  /** Adds `amount` (1 by default). */
  inc(amount = 1): void {
    this.value += amount;
  }
}

/** One gauge series: a value that goes up and down. */
export class GaugeSeries {
  /** The value. */
  value = 0;
  /** Adds `amount` (1 by default). */
  inc(amount = 1): void {
    this.value += amount;
  }
  /** Subtracts `amount` (1 by default). */
  dec(amount = 1): void {
    this.value -= amount;
  }
  /** Sets the value. */
  set(value: number): void {
    this.value = value;
  }
}

/** One histogram series: observations counted into buckets, with their sum and count. */
export class HistogramSeries {
  /** The upper bounds, the last `+Inf`. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative: the exposition adds them up. */
  readonly counts: Float64Array;
  /** The sum of the observations. */
  sum = 0;
  /** How many observations. */
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A metric: a name, help, label names, and one series per combination of label values. */
abstract class Metric<S> {
  abstract readonly type: "counter" | "gauge" | "histogram";
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly #series = new Map<string, { labels: string; series: S }>();

  constructor(options: MetricOptions) {
    if (!NAME.test(options.name)) {
      throw new OptionError(`"${options.name}" is not a valid metric name: use letters, digits, _ and :`);
    }
    const bad = options.labelNames.find((l) => !LABEL.test(l) || l.startsWith("__") || l === "le");
    if (bad !== undefined) throw new OptionError(`"${bad}" is not a valid label name of ${options.name}`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
  }

  /** The series of these label values, in the order of `labelNames`; keep it to update it without a lookup. */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) {
      throw new OptionError(
        `${this.name} has labels ${this.labelNames.join(", ")}: got ${values.length} value(s)`,
      );
    }
    const key = values.join("\u0000");
    let entry = this.#series.get(key);
    if (!entry) {
      const labels = this.labelNames.map((name, i) => `${name}="${escapeLabelValue(values[i]!)}"`).join(",");
      entry = { labels, series: this.create() };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  /** The metric in the text format: HELP, TYPE and a line per sample. */
  expose(): string {
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const { labels, series } of this.#series.values()) text += this.samples(labels, series);
    return text;
  }

  protected abstract create(): S;
  protected abstract samples(labels: string, series: S): string;
}

/** A counter. */
export class Counter extends Metric<CounterSeries> {
  readonly type = "counter";
  protected create(): CounterSeries {
    return new CounterSeries();
  }
  protected samples(labels: string, series: CounterSeries): string {
    return `${this.name}${braces(labels)} ${formatNumber(series.value)}\n`;
  }
}

/** A gauge. */
export class Gauge extends Metric<GaugeSeries> {
  readonly type = "gauge";
  protected create(): GaugeSeries {
    return new GaugeSeries();
  }
  protected samples(labels: string, series: GaugeSeries): string {
    return `${this.name}${braces(labels)} ${formatNumber(series.value)}\n`;
  }
}

/** A histogram. */
export class Histogram extends Metric<HistogramSeries> {
  readonly type = "histogram";
  /** The bucket bounds, ascending, the last `+Inf`. */
  readonly buckets: readonly number[];
  readonly #le: readonly string[];

  constructor(options: HistogramOptions) {
    super(options);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
    if (buckets.length === 0 || buckets.some((b, i) => i > 0 && !(b > buckets[i - 1]!))) {
      throw new OptionError(`The buckets of ${options.name} must be ascending and not empty`);
    }
    if (buckets.at(-1) !== Infinity) buckets.push(Infinity);
    this.buckets = Object.freeze(buckets);
    this.#le = buckets.map((b) => `le="${formatNumber(b)}"`);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.buckets);
  }

  protected samples(labels: string, series: HistogramSeries): string {
    const prefix = labels ? `${labels},` : "";
    let text = "";
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += series.counts[i]!;
      text += `${this.name}_bucket{${prefix}${this.#le[i]}} ${formatNumber(cumulative)}\n`;
    }
    text += `${this.name}_count${braces(labels)} ${formatNumber(series.count)}\n`;
    text += `${this.name}_sum${braces(labels)} ${formatNumber(series.sum)}\n`;
    return text;
  }
}

/**
 * The metrics of an app. Declaring a metric that exists returns it when it is the same (kind, labels,
 * buckets), so several middlewares — one per broker — can share a registry, as FastStream's do.
 *
 * @example
 * ```ts
 * import { Registry } from "@sluice/prometheus";
 * const registry = new Registry();
 * const jobs = registry.counter({ name: "jobs_total", help: "Jobs done", labelNames: ["kind"] });
 * jobs.labels("import").inc();
 * console.log(registry.metrics()); // # HELP jobs_total Jobs done …
 * ```
 */
export class Registry {
  readonly #metrics = new Map<string, Counter | Gauge | Histogram>();

  /** Declares a counter, or returns the one declared with the same name. */
  counter(options: MetricOptions): Counter {
    return this.#declare(options, "counter", () => new Counter(options));
  }

  /** Declares a gauge, or returns the one declared with the same name. */
  gauge(options: MetricOptions): Gauge {
    return this.#declare(options, "gauge", () => new Gauge(options));
  }

  /** Declares a histogram, or returns the one declared with the same name. */
  histogram(options: HistogramOptions): Histogram {
    const histogram = this.#declare(options, "histogram", () => new Histogram(options));
    const buckets = new Histogram(options).buckets;
    if (buckets.join() !== histogram.buckets.join()) {
      throw new OptionError(`Histogram ${options.name} is already declared with other buckets`);
    }
    return histogram;
  }

  /** Everything in the Prometheus text format, as `/metrics` serves it (content type {@linkcode CONTENT_TYPE}). */
  metrics(): string {
    let text = "";
    for (const metric of this.#metrics.values()) text += metric.expose();
    return text;
  }

  #declare<M extends Counter | Gauge | Histogram>(
    options: MetricOptions,
    type: M["type"],
    create: () => M,
  ): M {
    const existing = this.#metrics.get(options.name);
    if (!existing) {
      const metric = create();
      this.#metrics.set(options.name, metric);
      return metric;
    }
    if (existing.type !== type || existing.labelNames.join() !== options.labelNames.join()) {
      throw new OptionError(
        `Metric ${options.name} is already declared as a ${existing.type} with labels ${
          existing.labelNames.join(", ")
        }`,
      );
    }
    return existing as M;
  }
}
