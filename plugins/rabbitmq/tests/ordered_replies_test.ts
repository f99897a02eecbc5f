// Replies to direct reply-to on the request's own channel, just before its ack (plugins/rabbitmq/_replies.ts):
// first which publishes take that way, on a channel that records what it is asked to send, then the real
// broker: a responder answering a requester on another connection, each reply sent that way, and a later
// responder that finds no request left (every ack arrived after its reply).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "amqplib";
import { silentLogger } from "@sluice/core";
import { rabbitmq } from "../mod.ts";
import type { Settlements } from "../_acks.ts";
import { OrderedReplies } from "../_replies.ts";
import type { AmqpPublishProperties } from "../message.ts";
import { leftOver, realUrl, unique } from "./_targets.ts";

const ADDRESS = "amq.rabbitmq.reply-to.g1h2AA5yZXBseUAx";
const BODY = new TextEncoder().encode('{"ok":true}');

/** Settlements whose channel records the addresses it publishes to, or throws like a closed channel. */
function channelOf(name: string, sent: string[], closed = false): Settlements {
  const channel = {
    publish: (_exchange: string, address: string) => {
      if (closed) throw new Error("Channel closed");
      sent.push(`${name} → ${address}`);
      return true;
    },
  } as unknown as Channel;
  return { channel } as Settlements;
}

/** A delivery asking for a reply to `replyTo` with `correlationId`. */
function asking(replyTo: string | undefined, correlationId: string | undefined) {
  return { replyTo, correlationId, messageId: undefined };
}

function properties(correlationId: string | undefined, mandatory = false): AmqpPublishProperties {
  return { correlationId, deliveryMode: 2, timestamp: 0, ...(mandatory ? { mandatory } : {}) };
}

describe("ordered replies", () => {
  it("sends the one reply a delivery awaits on its channel, and a second reply the usual way", () => {
    const replies = new OrderedReplies();
    const sent: string[] = [];
    assert.ok(replies.expect(asking(ADDRESS, "c1"), channelOf("a", sent)));
    assert.equal(replies.send(ADDRESS, BODY, properties("c1")), true);
    assert.deepEqual(sent, [`a → ${ADDRESS}`]);
    assert.equal(replies.send(ADDRESS, BODY, properties("c1")), false);
    assert.equal(sent.length, 1);
  });

  it("leaves to the usual way a reply to another address, with another id, mandatory, or after settling", () => {
    const replies = new OrderedReplies();
    const sent: string[] = [];
    const awaited = replies.expect(asking(ADDRESS, "c1"), channelOf("a", sent))!;
    assert.equal(replies.send(`${ADDRESS}x`, BODY, properties("c1")), false);
    assert.equal(replies.send(ADDRESS, BODY, properties("c2")), false);
    assert.equal(replies.send(ADDRESS, BODY, properties(undefined)), false);
    assert.equal(replies.send(ADDRESS, BODY, properties("c1", true)), false);
    replies.settled(awaited);
    assert.equal(replies.send(ADDRESS, BODY, properties("c1")), false);
    assert.deepEqual(sent, []);
  });

  it("awaits nothing for a reply to a queue, or without an id", () => {
    const replies = new OrderedReplies();
    const on = channelOf("a", []);
    assert.equal(replies.expect(asking("replies.orders", "c1"), on), undefined);
    assert.equal(replies.expect(asking(undefined, "c1"), on), undefined);
    assert.equal(replies.expect(asking(ADDRESS, undefined), on), undefined);
    assert.equal(replies.send("replies.orders", BODY, properties("c1")), false);
  });

  it("keeps the first of two deliveries with one id, whatever the second does", () => {
    const replies = new OrderedReplies();
    const sent: string[] = [];
    const first = replies.expect(asking(ADDRESS, "c1"), channelOf("a", sent));
    assert.ok(first);
    assert.equal(replies.expect(asking(ADDRESS, "c1"), channelOf("b", sent)), undefined);
    assert.equal(replies.send(ADDRESS, BODY, properties("c1")), true);
    assert.deepEqual(sent, [`a → ${ADDRESS}`]);
  });

  it("sends the usual way when the delivery's channel closed meanwhile", () => {
    const replies = new OrderedReplies();
    replies.expect(asking(ADDRESS, "c1"), channelOf("a", [], true));
    assert.equal(replies.send(ADDRESS, BODY, properties("c1")), false);
  });
});

describe("ordered replies (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it("answers a requester on another connection on the request's channel; none is left unacked", {
    timeout: 60_000,
  }, async () => {
    const channel = unique("ordered.");
    const subscriber = { group: unique("ordered-"), queue: { expires: 60_000 } };
    const count = 200;
    const send = OrderedReplies.prototype.send;
    let ordered = 0;
    OrderedReplies.prototype.send = function (this: OrderedReplies, ...args) {
      const taken = send.apply(this, args);
      if (taken) ordered++;
      return taken;
    };
    const responder = rabbitmq({ url: realUrl, logger: silentLogger });
    const requester = rabbitmq({ url: realUrl, logger: silentLogger });
    const answered: number[] = [];
    try {
      // Concurrency 1, so a prefetch of 1: each request comes only after the last one's ack.
      responder.subscriber(channel, subscriber).handle((n) => ({ twice: (n as number) * 2 }));
      await responder.start();
      await requester.connect();
      for (let n = 0; n < count; n++) {
        const reply = await requester.request(n, channel, { timeout: 5000 });
        answered.push((reply.body as { twice: number }).twice);
      }
    } finally {
      OrderedReplies.prototype.send = send;
      await requester.close();
      await responder.close();
    }
    assert.deepEqual(answered, Array.from({ length: count }, (_, n) => n * 2));
    assert.equal(ordered, count, "every reply went out on its request's channel");
    assert.deepEqual(await leftOver(channel, subscriber), [], "every request was acked after its reply");
  });
});
