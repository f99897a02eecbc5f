// Redis over TLS with an ACL user, against a secured redis-server of this file's own (TLS port only, the
// default user off; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA,
// host name or password fail at once with an error naming the cause, without retrying, and without the
// password anywhere a user could see it.
import { silentLogger } from "@sluice/core";
import { redis } from "@sluice/redis";
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
