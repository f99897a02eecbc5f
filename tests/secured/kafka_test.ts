// Kafka with SASL SCRAM over TLS (SASL_SSL), against a secured Kafka node of this file's own (PEM key store,
// no plaintext listener; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong
// CA, host name or password fail at once with an error naming the cause, without retrying, and without the
// password anywhere a user could see it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { kafka } from "@sluice/kafka";
import {
  countingProxy,
  failure,
  leakOf,
  renderings,
  type SecuredBroker,
  securedBroker,
  securedSkip,
  wrongHostName,
} from "../_support/secured.ts";
import { assertQuickFailure, roundTrip } from "./_checks.ts";

const skip = securedSkip("kafka");

describe("kafka: SASL SCRAM over TLS (secured Kafka node)", { skip }, () => {
  let server: SecuredBroker;
  before(async () => (server = await securedBroker("kafka")), { timeout: 150_000 });
  after(() => server?.dispose());

  const brokers = () => `127.0.0.1:${server.port}`;

  it(
    "publishes and consumes with SCRAM-SHA-256 over TLS, the CA from the options",
    { timeout: 60_000 },
    async () => {
      // brokers() is 127.0.0.1:PORT (SASL_SSL); server.ca the PEM text of the CA that signed its certificate.
      const broker = kafka({
        brokers: brokers(),
        ssl: { ca: server.ca },
        sasl: { mechanism: "scram-sha-256", username: server.user, password: server.password },
        logger: silentLogger,
      });
      await roundTrip(broker);
    },
  );

  it("takes SCRAM-SHA-512 credentials and TLS from a kafka:// URL", { timeout: 60_000 }, async () => {
    const url = `kafka://${server.user}:${
      encodeURIComponent(server.password)
    }@${brokers()}?sasl=scram-sha-512&ssl=true`;
    const { optionsFromUrl } = await import("@sluice/kafka");
    const fromUrl = optionsFromUrl(url);
    await roundTrip(kafka({ ...fromUrl, ssl: { ca: server.ca }, logger: silentLogger }));
  });

  it("verifies the name given as ssl.servername instead of the host's", { timeout: 60_000 }, async (t) => {
    const host = await wrongHostName();
    if (!host) return t.skip("this machine has no name for 127.0.0.1 besides localhost");
    const sasl = { mechanism: "scram-sha-256" as const, username: server.user, password: server.password };
    await roundTrip(
      kafka({
        brokers: `${host}:${server.port}`,
        ssl: { ca: server.ca, servername: "localhost" },
        sasl,
        logger: silentLogger,
      }),
    );
  });

  it("fails at once with the wrong CA, naming the certificate", async () => {
    const proxy = await countingProxy(server.port);
    try {
      const f = await failure((logger) =>
        kafka({
          brokers: `127.0.0.1:${proxy.port}`,
          ssl: { ca: server.wrongCa },
          sasl: { mechanism: "scram-sha-256", username: server.user, password: server.password },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /certificate/i, server.password);
    } finally {
      await proxy.close();
    }
  });

  it("fails at once with a host name the certificate does not name", async () => {
    const proxy = await countingProxy(server.port);
    const host = await wrongHostName();
    try {
      const f = await failure((logger) =>
        kafka({
          brokers: `${host ?? "127.0.0.1"}:${proxy.port}`,
          ssl: host ? { ca: server.ca } : { ca: server.ca, servername: "not-this-broker.example" },
          sasl: { mechanism: "scram-sha-256", username: server.user, password: server.password },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /host ?name|altnames|does not match|certificate/i, server.password);
    } finally {
      await proxy.close();
    }
  });

  it("fails at once with a wrong password, which shows nowhere", async () => {
    const proxy = await countingProxy(server.port);
    const wrong = `${server.password}-wrong`;
    try {
      const f = await failure((logger) =>
        kafka({
          brokers: `127.0.0.1:${proxy.port}`,
          ssl: { ca: server.ca },
          sasl: { mechanism: "scram-sha-256", username: server.user, password: wrong },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /authentication|password|SASL/i, wrong);
      assert.equal(leakOf(server.password, [...renderings(f.error), ...f.printed]), undefined);
      assert.ok(f.error instanceof ConnectionError);
    } finally {
      await proxy.close();
    }
  });
});
