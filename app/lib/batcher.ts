// Group commit for a hot statement: calls that arrive while earlier ones are in flight run together,
// as one statement, in the next free lane.
//
// - At most `lanes` batches run at once. A call made while a lane is free starts at once, alone: at
//   low load nothing waits for company.
// - Calls made while every lane is busy wait, and the next free lane takes all of them (up to
//   `maxBatch`, counted in `size`): under load, one statement serves many calls, and its fixed cost
//   (round trip, executor start, triggers, commit) is paid once for all of them.
// - A batch holds calls of one group (`group`), and a group runs one batch at a time: batches that
//   would contend for the same rows (one shop's counters) run one after the other and grow instead,
//   while other groups' batches use the other lanes.
// - Calls with a key in common (`keys`) never share a batch: the later one waits for the next.
// - When a batch of several fails, its calls run again one by one, so that each call's failure is
//   its own and the others still succeed.

export interface BatcherOptions<In, Out> {
  /** Runs a batch: one result per input, in the inputs' order. */
  run: (inputs: In[]) => Promise<Out[]>;
  lanes: number;
  /** The most a batch holds, in `size` units (a call larger than this runs alone). */
  maxBatch: number;
  /** A call's share of a batch (default 1), e.g. the work it brings. */
  size?: (input: In) => number;
  /** Calls of one group share batches; a group runs one batch at a time. */
  group?: (input: In) => string;
  /** Identities of a call that must not appear twice in one batch. */
  keys?: (input: In) => string[];
}

interface Call<In, Out> {
  input: In;
  size: number;
  group: string;
  keys: string[];
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

export function createBatcher<In, Out>({ run, lanes, maxBatch, size, group, keys }: BatcherOptions<In, Out>) {
  let queue: Array<Call<In, Out>> = [];
  const running = new Set<string>();

  /** The oldest calls of `name` that may share a batch; the others stay queued, in order. */
  function take(name: string) {
    const batch: Array<Call<In, Out>> = [];
    const rest: Array<Call<In, Out>> = [];
    const seen = new Set<string>();
    let total = 0;
    for (const call of queue) {
      const fits = batch.length === 0 || total + call.size <= maxBatch;
      if (call.group === name && fits && !call.keys.some((key) => seen.has(key))) {
        call.keys.forEach((key) => seen.add(key));
        total += call.size;
        batch.push(call);
      } else {
        rest.push(call);
      }
    }
    queue = rest;
    return batch;
  }

  async function runBatch(batch: Array<Call<In, Out>>) {
    try {
      const outs = await run(batch.map((call) => call.input));
      batch.forEach((call, i) => call.resolve(outs[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const call of batch) {
        try {
          const [out] = await run([call.input]);
          call.resolve(out);
        } catch (own) {
          call.reject(own);
        }
      }
    }
  }

  function pump() {
    while (running.size < lanes) {
      const next = queue.find((call) => !running.has(call.group));
      if (!next) return;
      const name = next.group;
      running.add(name);
      void runBatch(take(name)).finally(() => {
        running.delete(name);
        pump();
      });
    }
  }

  return (input: In) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({
        input,
        size: size ? size(input) : 1,
        group: group ? group(input) : "",
        keys: keys ? keys(input) : [],
        resolve,
        reject,
      });
      pump();
    });
}
