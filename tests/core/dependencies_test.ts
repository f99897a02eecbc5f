import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, createLogger, dependency, DependencyError, memory, Router } from "@sluice/core";
import { override, testApp, testBroker } from "@sluice/core/testing";

interface Pool {
  readonly id: number;
  query(sql: string): string;
  end(): void;
}

const Db = dependency<Pool>("database pool");
const Prefix = dependency<string>("prefix");
const Tx = dependency<{ readonly sql: string[]; readonly pool: number }>("transaction");

function pools(): { made: Pool[]; ended: number[] } & { make(): Pool } {
  const made: Pool[] = [];
  const ended: number[] = [];
  return {
    made,
    ended,
    make() {
      const id = made.length + 1;
      const pool = { id, query: (sql: string) => `${id}:${sql}`, end: () => void ended.push(id) };
      made.push(pool);
      return pool;
    },
  };
}

describe("dependencies", () => {
  it("makes an app's startup value after the onStartup hooks, once, and closes it after the brokers", async () => {
    const order: string[] = [];
    const p = pools();
    const broker = memory({ logLevel: "error" });
    const results: string[] = [];
    broker.subscriber("orders", { needs: { db: Db } }).handle((order: unknown, ctx) => {
      results.push(ctx.deps.db.query(String(order)));
    });
    const app = new App(broker)
      .onStartup(() => void order.push("onStartup"))
      .provide(Db, {
        startup: () => {
          order.push(`startup connected=${broker.connected}`);
          return p.make();
        },
        shutdown: (pool) => {
          order.push(`shutdown connected=${broker.connected}`);
          pool.end();
        },
      })
      .afterShutdown(() => void order.push("afterShutdown"));
    await app.start();
    await broker.publish("a", "orders");
    await broker.publish("b", "orders");
    await new Promise((r) => setTimeout(r, 20));
    await app.stop();
    assert.deepEqual(results, ["1:a", "1:b"]);
    assert.deepEqual(p.ended, [1]);
    assert.deepEqual(order, [
      "onStartup",
      "startup connected=false",
      "shutdown connected=false",
      "afterShutdown",
    ]);
  });

  it("types ctx.deps from a router's needs and gives values provided on the router", async () => {
    const broker = memory({ logLevel: "error" });
    const router = broker.router({ prefix: "greet.", needs: { prefix: Prefix } }).provide(Prefix, {
      value: "hello",
    });
    const said = router.subscriber("en").handle((name: unknown, ctx) =>
      `${ctx.deps.prefix}, ${String(name)}`
    );
    broker.include(router);
    await using br = await testBroker(broker);
    const reply = await br.request("Ada", "greet.en", { timeout: 1000 });
    assert.equal(reply.body, "hello, Ada");
    assert.equal(said.mock.calls.length, 1);
  });

  it("makes a per-message value for each message and releases it with the handler's error", async () => {
    const p = pools();
    const released: string[] = [];
    const broker = memory({ logger: createLogger({ sink: () => {} }) });
    let n = 0;
    broker
      .provide(Db, { startup: () => p.make(), shutdown: (pool) => pool.end() })
      .provide(Tx, {
        perMessage: (_ctx, use) => ({ sql: [], pool: use(Db).id, n: ++n }),
        release: (tx, error) =>
          void released.push(`${tx.sql.join(",")}:${error === undefined ? "commit" : "rollback"}`),
      });
    const seen: number[] = [];
    broker.subscriber("work", { needs: { db: Db, tx: Tx } }).handle((body: unknown, ctx) => {
      ctx.deps.tx.sql.push(String(body));
      seen.push(ctx.deps.tx.pool);
      if (body === "bad") throw new Error("no");
    });
    await using br = await testBroker(broker);
    await br.publish("good", "work");
    await br.publish("bad", "work");
    await br.settled();
    assert.deepEqual(released, ["good:commit", "bad:rollback"]);
    assert.deepEqual(seen, [1, 1]);
    await br.close();
    assert.deepEqual(p.ended, [1]);
  });

  it("releases per-message values in the reverse order of making", async () => {
    const events: string[] = [];
    const First = dependency<string>("first");
    const Second = dependency<string>("second");
    const broker = memory({ logLevel: "error" })
      .provide(First, { perMessage: () => "1", release: (v) => void events.push(`release ${v}`) })
      .provide(Second, { perMessage: () => "2", release: (v) => void events.push(`release ${v}`) });
    broker.subscriber("x", { needs: { a: First, b: Second } }).handle((_body, ctx) => {
      events.push(`handle ${ctx.deps.a}${ctx.deps.b}`);
    });
    await using br = await testBroker(broker);
    await br.publish("go", "x");
    await br.settled();
    assert.deepEqual(events, ["handle 12", "release 2", "release 1"]);
  });

  it("fails the start naming a dependency nothing provides, before connecting", async () => {
    const broker = memory({ logLevel: "error" });
    const router = new Router({ prefix: "billing.", needs: { db: Db } });
    router.subscriber("charge").handle((_body, ctx) => ctx.deps.db.query("x"));
    broker.include(router);
    const app = new App(broker);
    await assert.rejects(app.start(), (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.match(
        error.message,
        /Subscriber billing\.charge \(as ctx\.deps\.db\) needs database pool, which nothing provides/,
      );
      return true;
    });
    assert.equal(broker.connected, false);
    assert.equal(app.running, false);
  });

  it("says that the app must start when a broker starts alone without the app's startup value", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("x", { needs: { db: Db } }).handle(() => {});
    new App(broker).provide(Db, { startup: () => pools().make() });
    await assert.rejects(testBroker(broker), /database pool is provided by the app, which is not started/);
    assert.equal(broker.connected, false);
  });

  it("stops the start when a startup provider fails, closing what was made", async () => {
    const p = pools();
    const broker = memory({ logLevel: "error" });
    broker.subscriber("x", { needs: { db: Db, prefix: Prefix } }).handle(() => {});
    const app = new App(broker)
      .provide(Db, { startup: () => p.make(), shutdown: (pool) => pool.end() })
      .provide(Prefix, {
        startup: () => {
          throw new Error("config server down");
        },
      });
    await assert.rejects(
      app.start(),
      /The startup of prefix \(provided by the app\) failed: .*config server down/,
    );
    assert.deepEqual(p.ended, [1]);
    assert.equal(broker.connected, false);
  });

  it("refuses a provider without exactly one kind", () => {
    const broker = memory();
    assert.throws(
      () => broker.provide(Prefix, {} as never),
      /The provider of prefix must have exactly one of "value", "startup" or "perMessage"/,
    );
  });

  it("replaces the app's provider with a test's override", async () => {
    const broker = memory({ logLevel: "error" });
    const replies: string[] = [];
    broker.subscriber("q", { needs: { db: Db } }).handle((sql: unknown, ctx) =>
      void replies.push(ctx.deps.db.query(String(sql)))
    );
    const app = new App(broker).provide(Db, {
      startup: () => {
        throw new Error("no database in tests");
      },
    });
    const fake: Pool = { id: 9, query: (sql) => `fake:${sql}`, end: () => {} };
    await using test = await testApp(app, { overrides: [override(Db, { value: fake })] });
    await test.publish("select 1", "q");
    await test.settled();
    assert.deepEqual(replies, ["fake:select 1"]);
  });

  it("types ctx.deps: a name not needed is a type error", () => {
    const broker = memory();
    broker.subscriber("t", { needs: { db: Db } }).handle((_body, ctx) => {
      const pool: Pool = ctx.deps.db;
      // @ts-expect-error prefix is not needed by this subscriber
      void ctx.deps.prefix;
      return pool.id;
    });
    broker.subscriber("none").handle((_body, ctx) => {
      // @ts-expect-error a subscriber that needs nothing has no deps
      void ctx.deps.db;
    });
    assert.equal(broker.allSubscribers().length, 2);
  });
});
