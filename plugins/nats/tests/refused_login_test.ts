// A refused login ends in a ConnectionError and nothing after it, and the next login with the right
// password works. The fault suite's secrets test (tests/faults) found, under load and under Deno, a process
// that had caught such a ConnectionError die a moment later of an uncaught \`read ECONNRESET\`: the socket the
// client had let go of reported the server's reset with no listener left. plugins/nats/_transport.ts guards
// such sockets. This test takes the same path 20 times on every runtime; on a quiet machine it passed
// without the guard too, so the secrets test remains the one that caught the race. Against a nats-server of
// this test's own with a password (tests/_support/private).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, silentLogger } from "@sluice/core";
import { nats } from "@sluice/nats";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";

describe("nats refused login (real, a private server with a password)", {
  skip: privateSkip("nats", "private nats-server"),
}, () => {
  let server: PrivateBroker;
  before(async () => (server = await privateBroker("nats", { users: { app: "right-password" } })), {
    timeout: 30_000,
  });
  after(() => server?.dispose());

  it("fails each of 20 logins with a ConnectionError, and the process runs on", async () => {
    const wrong = server.url.replace("nats://", "nats://app:wrong@");
    for (let attempt = 0; attempt < 20; attempt++) {
      const broker = attempt % 2 === 0
        ? nats({ servers: server.url, user: "app", pass: "wrong", logger: silentLogger })
        : nats({ servers: wrong, logger: silentLogger });
      await assert.rejects(broker.connect(), ConnectionError);
      await broker.close();
    }
    // A late error from one of those connections would surface here as an uncaught exception.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const broker = nats({ servers: server.url, user: "app", pass: "right-password", logger: silentLogger });
    await broker.connect();
    await broker.close();
  });
});
