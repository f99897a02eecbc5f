/**
 * The suite of a broker whose plugin takes `url`, `username`, `password` and `tls` options (MQTT, RabbitMQ,
 * Redis), against a secured broker of the calling file's own: the right CA and credentials work from the
 * options, from the URL and with `tls.servername`; the wrong CA, host name or password fail at once with an
 * error naming the cause, without reconnecting, and without the password anywhere a user could see it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Broker, ConnectionError, type Logger, silentLogger } from "@sluice/core";
import {
  countingProxy,
  failure,
  leakOf,
  renderings,
  type SecuredBroker,
  securedBroker,
  type SecuredName,
  securedSkip,
  wrongHostName,
} from "./secured.ts";
import { assertQuickFailure, roundTrip } from "../secured/_checks.ts";

/** The options every broker of this suite takes, the way its tests pass them. */
export interface SecuredOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls: { readonly ca: string; readonly servername?: string };
  readonly logger: Logger;
}

/** What differs between the brokers of the suite. */
export interface SecuredSuite {
  /** The title of the suite, e.g. `redis: TLS and ACL users (secured redis-server)`. */
  readonly title: string;
  /** The secured broker to start. */
  readonly name: SecuredName;
  /** The URL scheme with TLS, e.g. `rediss`. */
  readonly scheme: string;
  /** The plugin's factory. */
  readonly make: (options: SecuredOptions) => Broker;
  /** What the error of a wrong password says. */
  readonly wrongPassword: RegExp;
  /** How long the broker may take to start, in ms (default 60 s). */
  readonly startTimeout?: number;
  /**
   * The first case, written out in the calling file because the plugin's README quotes it: publishes and
   * consumes over TLS with the CA and the user from the options.
   */
  readonly withOptions: (server: SecuredBroker) => Promise<void>;
}

/** Declares the suite of `suite.name`, skipped (loudly) where no secured broker of that kind can run. */
export function securedSuite(suite: SecuredSuite): void {
  const { scheme, make } = suite;
  // "an mqtts:// URL", "an amqps:// URL", "a rediss:// URL": as the scheme is read aloud.
  const article = /^[aeioum]/.test(scheme) ? "an" : "a";

  describe(suite.title, { skip: securedSkip(suite.name) }, () => {
    let server: SecuredBroker;
    before(async () => (server = await securedBroker(suite.name)), { timeout: suite.startTimeout ?? 60_000 });
    after(() => server?.dispose());

    it("publishes and consumes over TLS with the CA and the user from the options", () =>
      suite.withOptions(server));

    it(`takes the credentials from ${article} ${scheme}:// URL`, async () => {
      const url = server.url.replace(
        `${scheme}://`,
        `${scheme}://${server.user}:${encodeURIComponent(server.password)}@`,
      );
      await roundTrip(make({ url, tls: { ca: server.ca }, logger: silentLogger }));
    });

    it("verifies the name given as tls.servername instead of the host's", async (t) => {
      const host = await wrongHostName();
      if (!host) return t.skip("this machine has no name for 127.0.0.1 besides localhost");
      const url = `${scheme}://${host}:${server.port}`;
      const tls = { ca: server.ca, servername: "localhost" };
      await roundTrip(
        make({ url, username: server.user, password: server.password, tls, logger: silentLogger }),
      );
    });

    /** Connects through a counting proxy with `options` and checks that it fails at once as `cause` says. */
    async function failsAtOnce(
      options: (proxyPort: number) => Omit<SecuredOptions, "logger">,
      cause: RegExp,
      secret: string,
    ) {
      const proxy = await countingProxy(server.port);
      try {
        const f = await failure((logger) => make({ ...options(proxy.port), logger }).connect());
        await assertQuickFailure(f, proxy, cause, secret);
        return f;
      } finally {
        await proxy.close();
      }
    }

    it("fails at once with the wrong CA, naming the certificate", async () => {
      await failsAtOnce(
        (port) => ({
          url: `${scheme}://127.0.0.1:${port}`,
          username: server.user,
          password: server.password,
          tls: { ca: server.wrongCa },
        }),
        /certificate/i,
        server.password,
      );
    });

    it("fails at once with a host name the certificate does not name", async () => {
      const host = await wrongHostName();
      await failsAtOnce(
        (port) => ({
          url: `${scheme}://${host ?? "127.0.0.1"}:${port}`,
          username: server.user,
          password: server.password,
          tls: host ? { ca: server.ca } : { ca: server.ca, servername: "not-this-broker.example" },
        }),
        /host ?name|altnames|does not match|certificate/i,
        server.password,
      );
    });

    it("fails at once with a wrong password, which shows nowhere", async () => {
      const wrong = `${server.password}-wrong`;
      const f = await failsAtOnce(
        (port) => ({
          url: `${scheme}://127.0.0.1:${port}`,
          username: server.user,
          password: wrong,
          tls: { ca: server.ca },
        }),
        suite.wrongPassword,
        wrong,
      );
      assert.equal(leakOf(server.password, [...renderings(f.error), ...f.printed]), undefined);
      assert.ok(f.error instanceof ConnectionError);
    });
  });
}
