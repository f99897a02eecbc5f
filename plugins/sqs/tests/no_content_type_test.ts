// A message whose producer gave no content type arrives with `contentType` undefined, never "". SQS refuses
// an empty attribute value (and an empty body), so a content type is either there or missing; the emulation
// goes through the same attribute mapping. On the emulation and on a real SQS API.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { testBroker } from "@sluice/core/testing";
import { sqsClientConfig } from "../../../tests/_support/brokers.ts";
import { brokerFor, server, targets, unique, until } from "./_helpers.ts";

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

for (const target of targets) {
  describe(`sqs without a content type (${target.name})`, () => {
    it("reports contentType undefined for bytes published with an empty content type", async () => {
      const queue = unique("none");
      const { broker } = brokerFor(target);
      const seen: Seen[] = [];
      broker.subscriber(queue).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish(new Uint8Array([0, 1, 2]), queue, { contentType: "" });
      await until(() => seen.length === 1, 10_000, "the message");
      assert.deepEqual(seen, [{ body: [0, 1, 2], contentType: undefined }]);
    });
  });
}

describe(
  "sqs raw producer without a content type (ElasticMQ)",
  { skip: server ? false : "no real sqs" },
  () => {
    let client: SQSClient;
    before(() => {
      client = new SQSClient({ ...sqsClientConfig(server!.url), maxAttempts: 1 });
    });
    after(() => client.destroy());

    it("decodes a body sent without a content-type attribute by sniffing, contentType undefined", async () => {
      const queue = unique("raw-none");
      const { broker } = brokerFor({ name: "ElasticMQ", real: true });
      const seen: Seen[] = [];
      broker.subscriber(queue).handle((body, ctx) => {
        seen.push({ body, contentType: ctx.message.contentType });
      });
      await using _br = await testBroker(broker, { real: true });
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }));
      await client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: '{"n":1}',
          MessageAttributes: { correlation_id: { DataType: "String", StringValue: "corr-1" } },
        }),
      );
      await until(() => seen.length === 1, 10_000, "the message");
      assert.deepEqual(seen, [{ body: { n: 1 }, contentType: undefined }]);
    });
  },
);
