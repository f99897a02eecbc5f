// Smoke test against a real SQS API (ElasticMQ locally) with the raw client (@aws-sdk/client-sqs).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { realBroker, sqsClientConfig } from "../_support/brokers.ts";

const sqs = await realBroker("sqs");

describe("sqs smoke", { skip: sqs ? false : "no real sqs" }, () => {
  after(() => sqs!.stop());

  it("sends and receives one message", { timeout: 30_000 }, async () => {
    const client = new SQSClient({ ...sqsClientConfig(sqs!.url), maxAttempts: 2 });
    let queueUrl: string | undefined;
    try {
      ({ QueueUrl: queueUrl } = await client.send(
        new CreateQueueCommand({ QueueName: `sluice-smoke-${crypto.randomUUID()}` }),
      ));
      assert.ok(queueUrl);
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hello sqs" }));
      const { Messages } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }),
      );
      assert.equal(Messages?.length, 1);
      assert.equal(Messages[0].Body, "hello sqs");
      await client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: Messages[0].ReceiptHandle }),
      );
    } finally {
      if (queueUrl) await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
      client.destroy();
    }
  });
});
