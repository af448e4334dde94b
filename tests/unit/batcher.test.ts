import { describe, expect, it } from "vitest";
import { createBatcher } from "~/lib/batcher";

interface Item {
  id: string;
  size?: number;
  group?: string;
  key?: string;
  fail?: boolean;
}

/** A batcher over a run function that records each batch and finishes only when told to. */
function harness(options: { lanes: number; maxBatch?: number }) {
  const batches: string[][] = [];
  const pending: Array<() => void> = [];
  const batcher = createBatcher<Item, string>({
    lanes: options.lanes,
    maxBatch: options.maxBatch ?? 100,
    size: (item) => item.size ?? 1,
    group: (item) => item.group ?? "",
    keys: (item) => (item.key ? [item.key] : []),
    run: (items) => {
      batches.push(items.map((item) => item.id));
      return new Promise((resolve, reject) => {
        pending.push(() =>
          items.some((item) => item.fail)
            ? reject(new Error(`failed: ${items.map((item) => item.id).join(",")}`))
            : resolve(items.map((item) => `done ${item.id}`)),
        );
      });
    },
  });
  /** Lets every running batch finish, then waits for the batches that follows them to start. */
  const finishRunning = async () => {
    pending.splice(0).forEach((finish) => finish());
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { batcher, batches, finishRunning };
}

describe("batcher", () => {
  it("runs a call alone and at once while a lane is free, and answers each call with its own result", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 1 });
    const answer = batcher({ id: "a" });
    expect(batches).toEqual([["a"]]);
    await finishRunning();
    await expect(answer).resolves.toBe("done a");
  });

  it("gathers the calls made while every lane is busy into the next batch, up to its size", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 1, maxBatch: 3 });
    const answers = ["a", "b", "c", "d", "e"].map((id) => batcher({ id }));
    expect(batches).toEqual([["a"]]);
    await finishRunning();
    expect(batches).toEqual([["a"], ["b", "c", "d"]]);
    await finishRunning();
    expect(batches).toEqual([["a"], ["b", "c", "d"], ["e"]]);
    await finishRunning();
    expect(await Promise.all(answers)).toEqual(["done a", "done b", "done c", "done d", "done e"]);
  });

  it("counts a batch in the calls' sizes: a call bigger than a batch runs alone", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 1, maxBatch: 10 });
    const answers = [
      batcher({ id: "first" }),
      batcher({ id: "six", size: 6 }),
      batcher({ id: "three", size: 3 }),
      batcher({ id: "two", size: 2 }),
      batcher({ id: "one", size: 1 }),
      batcher({ id: "huge", size: 1_000 }),
    ];
    await finishRunning();
    expect(batches[1]).toEqual(["six", "three", "one"]);
    await finishRunning();
    expect(batches[2]).toEqual(["two"]);
    await finishRunning();
    expect(batches[3]).toEqual(["huge"]);
    await finishRunning();
    expect(await Promise.all(answers)).toHaveLength(6);
  });

  it("runs one batch per group at a time and other groups in the other lanes", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 2 });
    const answers = [
      batcher({ id: "a1", group: "a" }),
      batcher({ id: "a2", group: "a" }),
      batcher({ id: "b1", group: "b" }),
      batcher({ id: "a3", group: "a" }),
      batcher({ id: "c1", group: "c" }),
    ];
    // a1 and b1 take both lanes; a2 and a3 wait for a1, c1 for a free lane.
    expect(batches).toEqual([["a1"], ["b1"]]);
    await finishRunning();
    expect(batches.slice(2)).toEqual([["a2", "a3"], ["c1"]]);
    await finishRunning();
    await Promise.all(answers);
  });

  it("never puts two calls with a key in common in one batch", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 1 });
    const first = batcher({ id: "first" });
    const answers = [
      batcher({ id: "x1", key: "order 1" }),
      batcher({ id: "y", key: "order 2" }),
      batcher({ id: "x2", key: "order 1" }),
    ];
    await finishRunning();
    expect(batches[1]).toEqual(["x1", "y"]);
    await finishRunning();
    expect(batches[2]).toEqual(["x2"]);
    await finishRunning();
    expect(await Promise.all([first, ...answers])).toEqual(["done first", "done x1", "done y", "done x2"]);
  });

  it("reruns a failed batch call by call: only the failing call gets the error", async () => {
    const { batcher, batches, finishRunning } = harness({ lanes: 1 });
    const first = batcher({ id: "first" });
    const good = batcher({ id: "good" });
    const bad = batcher({ id: "bad", fail: true });
    bad.catch(() => {});
    await finishRunning(); // first
    await finishRunning(); // good + bad fails
    await finishRunning(); // good alone
    await finishRunning(); // bad alone
    expect(batches.slice(1)).toEqual([["good", "bad"], ["good"], ["bad"]]);
    await expect(first).resolves.toBe("done first");
    await expect(good).resolves.toBe("done good");
    await expect(bad).rejects.toThrow("failed: bad");
  });
});
