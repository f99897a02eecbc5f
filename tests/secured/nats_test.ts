// NATS over TLS with user/password and NKey users, against a secured nats-server of this file's own
// (scripts/brokers.d/secured): the right CA and credentials work end to end, on core NATS and JetStream;
// the wrong CA, host name, password or NKey fail at once with an error naming the cause, without
// reconnecting, and without the password or seed anywhere a user could see it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { createUser } from "@nats-io/nkeys";
import { nats } from "@sluice/nats";
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

const skip = securedSkip("nats");

describe("nats: TLS, user/password and NKeys (secured nats-server)", { skip }, () => {
  let server: SecuredBroker;
  before(async () => (server = await securedBroker("nats")), { timeout: 60_000 });
  after(() => server?.dispose());

  it("publishes and consumes over TLS with user and password (core NATS)", async () => {
    // server.url: tls://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = nats({
      servers: server.url,
      user: server.user,
      pass: server.password,
      tls: { ca: server.ca },
      jetstream: false,
      logger: silentLogger,
    });
    await roundTrip(broker);
  });

  it("publishes and consumes over TLS with an NKey and a CA file (JetStream)", async () => {
    await roundTrip(
      nats({
        servers: server.url,
        nkeySeed: server.nkeySeed,
        tls: { caFile: server.caFile },
        logger: silentLogger,
      }),
    );
  });

  it("takes user and password from a tls:// URL", async () => {
    const servers = server.url.replace(
      "tls://",
      `tls://${server.user}:${encodeURIComponent(server.password)}@`,
    );
    await roundTrip(nats({ servers, tls: { ca: server.ca }, jetstream: false, logger: silentLogger }));
  });

  it("fails at once with the wrong CA, naming the certificate", async () => {
    const proxy = await countingProxy(server.port);
    try {
      const f = await failure((logger) =>
        nats({
          servers: `tls://127.0.0.1:${proxy.port}`,
          user: server.user,
          pass: server.password,
          tls: { ca: server.wrongCa },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /certificate/i, server.password);
    } finally {
      await proxy.close();
    }
  });

  it("fails at once with a host name the certificate does not name", async (t) => {
    const host = await wrongHostName();
    if (!host) return t.skip("this machine has no name for 127.0.0.1 besides localhost");
    const proxy = await countingProxy(server.port);
    try {
      const f = await failure((logger) =>
        nats({
          servers: `tls://${host}:${proxy.port}`,
          user: server.user,
          pass: server.password,
          tls: { ca: server.ca },
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
        nats({
          servers: `tls://127.0.0.1:${proxy.port}`,
          user: server.user,
          pass: wrong,
          tls: { ca: server.ca },
          logger,
        }).connect()
      );
      await assertQuickFailure(f, proxy, /authori[sz]ation|password|auth/i, wrong);
      assert.equal(leakOf(server.password, [...renderings(f.error), ...f.printed]), undefined);
      assert.ok(f.error instanceof ConnectionError);
    } finally {
      await proxy.close();
    }
  });

  it("fails at once with an NKey the server does not know, and keeps the seed secret", async () => {
    const proxy = await countingProxy(server.port);
    const seed = new TextDecoder().decode(createUser().getSeed());
    try {
      const f = await failure((logger) =>
        nats({ servers: `tls://127.0.0.1:${proxy.port}`, nkeySeed: seed, tls: { ca: server.ca }, logger })
          .connect()
      );
      await assertQuickFailure(f, proxy, /authori[sz]ation|auth/i, seed);
      assert.ok(f.error instanceof ConnectionError);
    } finally {
      await proxy.close();
    }
  });
});
