// SQS against ElasticMQ: ElasticMQ speaks plain HTTP only and checks no signature, so there is no secured
// variant of it. What is real here: the client signs every request (SigV4) with the credentials it is given
// (from the URL or the options, a session token included), which ElasticMQ accepts whatever they are; a TLS
// endpoint that is no TLS server fails at once, naming TLS; and the secret access key shows in no error,
// cause, stack, inspection, JSON or log line, whether the request failed at the network or at the server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { sqs } from "@sluice/sqs";
import { realBroker } from "../_support/brokers.ts";
import { failure } from "../_support/secured.ts";
import { assertQuickFailure, roundTrip, unique } from "./_checks.ts";

const server = await realBroker("sqs");

describe(
  "sqs: credentials and TLS options against ElasticMQ",
  { skip: server ? false : "no real sqs" },
  () => {
    const endpoint = () => new URL(server!.url.replace(/^sqs:/, "http:")).host;
    const secret = () => `Pl4nted-sqs-${unique("secret")}`;

    it("signs with credentials from the URL (ElasticMQ accepts any) and publishes and consumes", async () => {
      const url = `sqs://AKIDSLUICETEST:${encodeURIComponent(secret())}@${endpoint()}?region=elasticmq`;
      await roundTrip(sqs({ url, logger: silentLogger }), unique("sqs-url"));
    });

    it("signs with credentials and a session token from the options", async () => {
      const broker = sqs({
        url: server!.url, // sqs://127.0.0.1:9324: plain HTTP on loopback; https elsewhere
        credentials: { accessKeyId: "AKIDSLUICETEST", secretAccessKey: secret(), sessionToken: secret() },
        logger: silentLogger,
      });
      await roundTrip(broker, unique("sqs-options"));
    });

    it("fails at once with tls=true against a plain-HTTP endpoint, naming TLS, the secret nowhere", async () => {
      const planted = secret();
      const f = await failure(async (logger) => {
        const broker = sqs({
          url: `sqs://AKIDSLUICETEST:${encodeURIComponent(planted)}@${endpoint()}?tls=true`,
          logger,
        });
        try {
          await broker.connect();
          await broker.publish({ a: 1 }, unique("sqs-tls"));
        } finally {
          await broker.close();
        }
      });
      await assertQuickFailure(f, undefined, /TLS|SSL|https|wrong version|EPROTO|packet length/i, planted);
    });

    it("keeps the secret key out of a failed connection's error and logs", async () => {
      const planted = secret();
      const f = await failure(async (logger) => {
        const broker = sqs({
          url: `sqs://AKIDSLUICETEST:${encodeURIComponent(planted)}@127.0.0.1:1`,
          logger,
        });
        try {
          await broker.connect();
          await broker.publish({ a: 1 }, unique("sqs-down"));
        } finally {
          await broker.close();
        }
      });
      await assertQuickFailure(f, undefined, /127\.0\.0\.1:1|ECONNREFUSED|connect/i, planted);
      assert.ok(f.error instanceof ConnectionError || f.error instanceof Error);
    });
  },
);
