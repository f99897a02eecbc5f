import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

/** The spans as an indented tree, children in the order they started. */
export function traceTree(spans: readonly ReadableSpan[]): string[] {
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const start = (s: ReadableSpan) => s.startTime[0] * 1e9 + s.startTime[1];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => start(a) - start(b))) {
      lines.push(`${"  ".repeat(depth)}${span.name}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}
