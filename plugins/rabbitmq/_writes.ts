/**
 * One socket write per pass of amqplib's muxer instead of one per frame.
 *
 * amqplib queues each channel's frames in a buffer; its muxer takes them out on the event loop's next check
 * phase and calls the socket's `write()` once per frame — under Bun a system call each (in a profile of
 * `bench/rabbitmq/bench.ts raw publish` the socket's write was a quarter of the CPU), under Deno and Node a
 * pass through the stream's machinery each. Corking the socket while the muxer runs sends what it wrote in one
 * go. `bun bench/rabbitmq/bench.ts raw publish 100000 256`, CPU µs per message: 26.4 / 22.4 uncorked, 19.3 /
 * 14.8 corked (Deno 22.2 / 25.2 → 21.2 / 21.2, Node 24 25.8 / 22.3 → 23.1 / 21.3).
 *
 * This reaches into amqplib's connection (`connection.muxer._readIncoming` and `.out`, private): a connection
 * without that shape is left as amqplib made it, so an amqplib that changes it only loses the gain.
 *
 * @module
 */

import type { ChannelModel } from "amqplib";

interface Muxer {
  _readIncoming(): void;
  readonly out: { cork?(): void; uncork?(): void };
}

/** Makes each pass of the connection's muxer one write to the socket, when amqplib has the expected shape. */
export function coalesceWrites(model: ChannelModel): void {
  const muxer = (model as unknown as { connection?: { muxer?: Muxer } }).connection?.muxer;
  const out = muxer?.out;
  if (!muxer || typeof muxer._readIncoming !== "function" || !out?.cork || !out.uncork) return;
  const pass = muxer._readIncoming;
  muxer._readIncoming = function (this: Muxer): void {
    out.cork!();
    try {
      pass.call(this);
    } finally {
      out.uncork!();
    }
  };
}
