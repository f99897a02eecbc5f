/**
 * The RESP decoder of ioredis 6 (the client the Redis plugin and the benches' raw arms use) against
 * `redis-parser` 3, the one ioredis 5 used, on the bytes a Pub/Sub subscriber reads: `message` pushes carrying
 * the live bench's envelopes (`_common.ts`), in socket-sized chunks of 16 KiB cut wherever they fall. Both
 * hand every reply over as Buffers, as ioredis asks for them. The two run alternately in one process, `pairs`
 * times after one untimed turn each, and the figure is the median of the pairs' ratios: how much of a Pub/Sub
 * consumer's CPU is the client's decoder, and what another decoder would leave of it.
 *
 *   <runtime> bench/redis/parsers.ts [messages] [pairs]
 *
 * Prints one JSON line: nanoseconds a message for each decoder and `redis-parser` ÷ ioredis 6.
 *
 * @module
 */

import process from "node:process";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { envelope } from "./_common.ts";
import { median } from "../_stats.ts";

const [countText = "20000", pairsText = "12"] = process.argv.slice(2);
const count = Number(countText);
const pairs = Number(pairsText);

const require = createRequire(import.meta.url);
const { Decoder, RESP_TYPES } = require("ioredis/built/resp/decoder.js");
const RedisParser = require("redis-parser");

/** 1,000 different messages as Redis frames them for a subscriber, cut into 16 KiB reads. */
function chunks(): Buffer[] {
  const channel = Buffer.from("bench-pubsub-12345");
  const frames = [];
  for (let i = 0; i < 1000; i++) {
    const body = envelope(i);
    frames.push(
      Buffer.from(`*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n`),
      channel,
      Buffer.from(`\r\n$${body.length}\r\n`),
      body,
      Buffer.from("\r\n"),
    );
  }
  const all = Buffer.concat(frames);
  const reads: Buffer[] = [];
  for (let at = 0; at < all.length; at += 16384) reads.push(Buffer.from(all.subarray(at, at + 16384)));
  return reads;
}

const reads = chunks();
let replies = 0;
const counted = (): void => void replies++;
// ioredis's own mapping for a RESP2 connection (DataHandler's legacy mapping): strings as Buffers.
const mapping = {
  [RESP_TYPES.SIMPLE_STRING]: Buffer,
  [RESP_TYPES.BLOB_STRING]: Buffer,
  [RESP_TYPES.VERBATIM_STRING]: Buffer,
  [RESP_TYPES.BIG_NUMBER]: String,
  [RESP_TYPES.DOUBLE]: Buffer,
  [RESP_TYPES.BOOLEAN]: Number,
  [RESP_TYPES.MAP]: Array,
  [RESP_TYPES.SET]: Array,
};
const fail = (error: unknown): never => {
  throw error;
};
const ioredis6 = new Decoder({
  getTypeMapping: () => mapping,
  onReply: counted,
  onPush: counted,
  onErrorReply: fail,
});
const parser = new RedisParser({
  returnBuffers: true,
  returnReply: counted,
  returnError: fail,
  returnFatalError: fail,
});
const decoders = {
  ioredis6: (read: Buffer): void => ioredis6.write(read),
  redisParser: (read: Buffer): void => parser.execute(read),
};

/** Nanoseconds a message of `count` messages through one decoder; checks that each became a reply. */
function timed(decode: (read: Buffer) => void): number {
  replies = 0;
  const rounds = Math.max(1, Math.round(count / 1000));
  const start = performance.now();
  for (let round = 0; round < rounds; round++) for (const read of reads) decode(read);
  const ns = ((performance.now() - start) * 1e6) / (rounds * 1000);
  if (replies !== rounds * 1000) throw new Error(`${replies} replies for ${rounds * 1000} messages`);
  return ns;
}

timed(decoders.ioredis6);
timed(decoders.redisParser);
const runs: { ioredis6: number; redisParser: number }[] = [];
for (let pair = 0; pair < pairs; pair++) {
  if (pair % 2 === 0) {
    const ioredis6 = timed(decoders.ioredis6);
    runs.push({ ioredis6, redisParser: timed(decoders.redisParser) });
  } else {
    const redisParser = timed(decoders.redisParser);
    runs.push({ ioredis6: timed(decoders.ioredis6), redisParser });
  }
}
console.log(JSON.stringify({
  workload: "decode",
  count,
  pairs,
  ioredis6_ns: Math.round(median(runs.map((r) => r.ioredis6))),
  redis_parser_ns: Math.round(median(runs.map((r) => r.redisParser))),
  ratio: +median(runs.map((r) => r.redisParser / r.ioredis6)).toFixed(3),
}));
