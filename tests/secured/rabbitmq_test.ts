// RabbitMQ over TLS (amqps) with a user and password, against a secured RabbitMQ node of this file's own (no
// plaintext listener, no guest; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA, host name
// or password fail at once with an error naming the cause, without reconnecting, and without the password
// anywhere a user could see it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { rabbitmq } from "@sluice/rabbitmq";
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

const skip = securedSkip("amqp");

describe("rabbitmq: TLS and a user with a password (secured RabbitMQ node)", { skip }, () => {
  let server: SecuredBroker;
  before(async () => (server = await securedBroker("amqp")), { timeout: 150_000 });
  after(() => server?.dispose());

  it("publishes and consumes over TLS with the CA and the user from the options", async () => {
    // server.url: amqps://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = rabbitmq({
      url: server.url,
      username: server.user,
      password: server.password,
      tls: { ca: server.ca },
      logger: silentLogger,
    });
    await roundTrip(broker);
  });

  it("takes the credentials from an amqps:// URL", async () => {
    const url = server.url.replace(
      "amqps://",
      `amqps://${server.user}:${encodeURIComponent(server.password)}@`,
    );
    await roundTrip(rabbitmq({ url, tls: { ca: server.ca }, logger: silentLogger }));
  });

  it("verifies the name given as tls.servername instead of the host's", async (t) => {
    const host = await wrongHostName();
    if (!host) return t.skip("this machine has no name for 127.0.0.1 besides localhost");
    const url = `amqps://${host}:${server.port}`;
    const tls = { ca: server.ca, servername: "localhost" };
    await roundTrip(
      rabbitmq({ url, username: server.user, password: server.password, tls, logger: silentLogger }),
    );
  });

  it("fails at once with the wrong CA, naming the certificate", async () => {
    const proxy = await countingProxy(server.port);
    try {
      const f = await failure((logger) =>
        rabbitmq({
          url: `amqps://127.0.0.1:${proxy.port}`,
          username: server.user,
          password: server.password,
          tls: { ca: server.wrongCa },
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
        rabbitmq({
          url: `amqps://${host ?? "127.0.0.1"}:${proxy.port}`,
          username: server.user,
          password: server.password,
          tls: host ? { ca: server.ca } : { ca: server.ca, servername: "not-this-broker.example" },
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
        rabbitmq({
          url: `amqps://127.0.0.1:${proxy.port}`,
          username: server.user,
          password: wrong,
          tls: { ca: server.ca },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /ACCESS.REFUSED|password|login/i, wrong);
      assert.equal(leakOf(server.password, [...renderings(f.error), ...f.printed]), undefined);
      assert.ok(f.error instanceof ConnectionError);
    } finally {
      await proxy.close();
    }
  });
});
