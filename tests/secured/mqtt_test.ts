// MQTT over TLS with a password file, against a secured Mosquitto of this file's own (no anonymous
// clients; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA, host name
// or password fail at once with an error naming the cause, without reconnecting, and without the password
// anywhere a user could see it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { mqtt } from "@sluice/mqtt";
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

const skip = securedSkip("mqtt");

describe("mqtt: TLS and a password file (secured Mosquitto)", { skip }, () => {
  let server: SecuredBroker;
  before(async () => (server = await securedBroker("mqtt")), { timeout: 60_000 });
  after(() => server?.dispose());

  it("publishes and consumes over TLS with the CA and the user from the options", async () => {
    // server.url: mqtts://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = mqtt({
      url: server.url,
      username: server.user,
      password: server.password,
      tls: { ca: server.ca },
      logger: silentLogger,
    });
    await roundTrip(broker);
  });

  it("takes the credentials from an mqtts:// URL", async () => {
    const url = server.url.replace(
      "mqtts://",
      `mqtts://${server.user}:${encodeURIComponent(server.password)}@`,
    );
    await roundTrip(mqtt({ url, tls: { ca: server.ca }, logger: silentLogger }));
  });

  it("verifies the name given as tls.servername instead of the host's", async (t) => {
    const host = await wrongHostName();
    if (!host) return t.skip("this machine has no name for 127.0.0.1 besides localhost");
    const url = `mqtts://${host}:${server.port}`;
    const tls = { ca: server.ca, servername: "localhost" };
    await roundTrip(
      mqtt({ url, username: server.user, password: server.password, tls, logger: silentLogger }),
    );
  });

  it("fails at once with the wrong CA, naming the certificate", async () => {
    const proxy = await countingProxy(server.port);
    try {
      const f = await failure((logger) =>
        mqtt({
          url: `mqtts://127.0.0.1:${proxy.port}`,
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
        mqtt({
          url: `mqtts://${host ?? "127.0.0.1"}:${proxy.port}`,
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
        mqtt({
          url: `mqtts://127.0.0.1:${proxy.port}`,
          username: server.user,
          password: wrong,
          tls: { ca: server.ca },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /not authori[sz]ed|bad user ?name or password|password/i, wrong);
      assert.equal(leakOf(server.password, [...renderings(f.error), ...f.printed]), undefined);
      assert.ok(f.error instanceof ConnectionError);
    } finally {
      await proxy.close();
    }
  });
});
