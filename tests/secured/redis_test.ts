// Redis over TLS with an ACL user, against a secured redis-server of this file's own (TLS port only, the
// default user off; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA,
// host name or password fail at once with an error naming the cause, without retrying, and without the
// password anywhere a user could see it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { redis, type RedisOptions } from "@sluice/redis";
import { endpoint } from "../../plugins/redis/options.ts";
import { Subscriber } from "../../plugins/redis/_subscriber.ts";
import { leakOf, renderings, type SecuredBroker, securedBroker, securedSkip } from "../_support/secured.ts";
import { securedSuite } from "../_support/secured_suite.ts";
import { roundTrip } from "./_checks.ts";

securedSuite({
  title: "redis: TLS and ACL users (secured redis-server)",
  name: "redis",
  scheme: "rediss",
  make: redis,
  wrongPassword: /password|WRONGPASS|auth/i,
  // The example of plugins/redis/README.md.
  withOptions: async (server) => {
    // server.url: rediss://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = redis({
      url: server.url,
      username: server.user,
      password: server.password,
      tls: { ca: server.ca },
      logger: silentLogger,
    });
    await roundTrip(broker);
  },
});

// Sluice's own Pub/Sub connection (plugins/redis/_subscriber.ts) logs in over TLS as the suite's round trips
// show; here it refuses a certificate its CA did not sign, and a wrong password, naming each.
describe(
  "redis: the Pub/Sub connection over TLS (secured redis-server)",
  { skip: securedSkip("redis") },
  () => {
    let server: SecuredBroker;
    before(async () => (server = await securedBroker("redis")), { timeout: 60_000 });
    after(() => server?.dispose());

    const open = (options: RedisOptions) => Subscriber.open(endpoint(options), silentLogger, 5000);

    it("logs in with the CA and the user, and fails with the wrong CA or password, naming the cause", async () => {
      const login = { url: server.url, username: server.user, password: server.password };
      const subscriber = await open({ ...login, tls: { ca: server.ca } });
      await subscriber.subscribe(["over-tls"], false);
      await subscriber.close();
      await assert.rejects(open({ ...login, tls: { ca: server.wrongCa } }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /certificate.*Check the TLS settings/i);
        return true;
      });
      const wrong = `${server.password}-wrong`;
      await assert.rejects(open({ ...login, password: wrong, tls: { ca: server.ca } }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /WRONGPASS.*Check the username and password/);
        assert.equal(leakOf(wrong, renderings(e)), undefined);
        return true;
      });
    });
  },
);
