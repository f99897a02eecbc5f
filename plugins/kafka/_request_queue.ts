/**
 * A fix for kafkajs 2.2.4's request queue: whenever no request waits, it arms a timer with a negative delay,
 * which the runtime clamps to 1 ms with a TimeoutNegativeWarning on stderr (Deno, Bun and Node alike), and
 * re-arms it from that timer every millisecond for as long as the connection lives (kafkajs issues #1704
 * and #1751). kafkajs is one module per process, so its other clients in the process get the fix too.
 *
 * @module
 */

const PATCHED = Symbol.for("sluice.kafka.requestQueue");

interface RequestQueue {
  pending: readonly unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

/**
 * Makes kafkajs's request queue schedule a check of its pending requests only when one waits or the queue
 * is throttled; with nothing pending, kafkajs checks again anyway when the next request is pushed or
 * answered. Idempotent; leaves a kafkajs whose queue has another shape alone.
 */
export async function quietRequestQueue(): Promise<void> {
  let prototype: RequestQueue & { [PATCHED]?: true };
  try {
    // A literal specifier, which JSR rewrites to npm:kafkajs; kafkajs's typings do not cover this file,
    // which tsc (building the npm package) reports and Deno's check does not.
    // @ts-ignore: the module is untyped, and read through the RequestQueue shape below
    const module = await import("kafkajs/src/network/requestQueue/index.js");
    prototype = (module.default ?? module).prototype;
  } catch {
    return;
  }
  const schedule = prototype?.scheduleCheckPendingRequests;
  if (typeof schedule !== "function" || prototype[PATCHED]) return;
  prototype[PATCHED] = true;
  prototype.scheduleCheckPendingRequests = function (this: RequestQueue): void {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    schedule.call(this);
  };
}
