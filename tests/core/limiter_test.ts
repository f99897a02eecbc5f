// The bound on tasks running at once (core/_limiter.ts), whether it waits for a task's promise or the task
// frees its slot itself (`tasksEnd`, as the consumer's pipeline does).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SETTLED } from "@sluice/core";
import { Limiter } from "@sluice/core/kit";

/** Tasks that end when the test says so; `tasksEnd` tasks free their slot as their promise settles. */
function tasks(tasksEnd: boolean) {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const finish = new Map<number, (failure?: Error) => void>();
  const limiter: Limiter<number> = new Limiter<number>(2, (n) => {
    started.push(n);
    most = Math.max(most, ++running);
    if (n < 0) {
      running--;
      return SETTLED; // ended synchronously
    }
    return new Promise<void>((resolve, reject) => {
      finish.set(n, (failure) => {
        running--;
        if (tasksEnd) limiter.end();
        if (failure) reject(failure);
        else resolve();
      });
    });
  }, { tasksEnd });
  return { limiter, started, finish, most: () => most };
}

const turns = () => new Promise((resolve) => setTimeout(resolve, 0));

for (const tasksEnd of [false, true]) {
  describe(`limiter${tasksEnd ? " (tasks end themselves)" : ""}`, () => {
    it("runs at most its limit at once, and a waiting task when a slot frees", async () => {
      const { limiter, started, finish, most } = tasks(tasksEnd);
      const done = [1, 2, 3, 4].map((n) => limiter.run(n));
      assert.deepEqual(started, [1, 2]);
      assert.equal(limiter.open, 4);
      finish.get(2)!();
      await done[1];
      await turns();
      assert.deepEqual(started, [1, 2, 3]);
      finish.get(1)!();
      finish.get(3)!();
      await turns();
      assert.deepEqual(started, [1, 2, 3, 4]);
      finish.get(4)!();
      await Promise.all(done);
      assert.equal(most(), 2);
      assert.equal(limiter.open, 0);
    });

    it("frees a synchronous task's slot at once and hands SETTLED back", async () => {
      const { limiter, started, finish } = tasks(tasksEnd);
      assert.equal(limiter.run(-1), SETTLED);
      assert.equal(limiter.run(-2), SETTLED);
      const first = limiter.run(1);
      const second = limiter.run(2);
      const third = limiter.run(-3); // waits for a slot, then ends synchronously
      assert.deepEqual(started, [-1, -2, 1, 2]);
      finish.get(1)!();
      await third;
      assert.deepEqual(started, [-1, -2, 1, 2, -3]);
      finish.get(2)!();
      await Promise.all([first, second]);
      assert.equal(limiter.open, 0);
    });

    it("rejects the caller's promise of a failed task and frees its slot", async () => {
      const { limiter, started, finish } = tasks(tasksEnd);
      const first = limiter.run(1);
      const second = limiter.run(2);
      const waiting = limiter.run(3);
      finish.get(1)!(new Error("no"));
      await assert.rejects(first, /no/);
      await turns();
      assert.deepEqual(started, [1, 2, 3]);
      finish.get(3)!(new Error("nor this"));
      await assert.rejects(waiting, /nor this/);
      finish.get(2)!();
      await second;
      assert.equal(limiter.open, 0);
    });

    it("keeps tasks of one key in order and resolves idle() when all ended", async () => {
      const { limiter, started, finish } = tasks(tasksEnd);
      const a = limiter.run(1, "k");
      const b = limiter.run(2, "k");
      const c = limiter.run(3, "other");
      await turns();
      assert.deepEqual(started, [1, 3], "the second of key k waits for the first");
      let idle = false;
      void limiter.idle().then(() => (idle = true));
      finish.get(1)!();
      await a;
      await turns();
      assert.deepEqual(started, [1, 3, 2]);
      finish.get(2)!();
      finish.get(3)!();
      await Promise.all([b, c]);
      await turns();
      assert.equal(idle, true);
      assert.equal(await limiter.idleWithin(10), true);
    });
  });
}

describe("limiter.end()", () => {
  it("is refused by a limiter that waits for its tasks' promises, which frees their slots itself", () => {
    const limiter = new Limiter<number>(1, () => Promise.resolve());
    assert.throws(() => limiter.end(), /tasksEnd: true/);
    assert.throws(() => limiter.endNow(SETTLED), /tasksEnd: true/);
  });
});
