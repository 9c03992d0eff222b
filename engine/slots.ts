// A counting semaphore: bounds work in flight (scans between pull and write, child processes).
export class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(n: number) {
    this.free = n;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((r) => this.queue.push(r));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/**
 * The cores that the model nodes of one execution share: a node that trains on several threads
 * (its kind declares `threads`) takes as many as it wants of those free, at least one (it waits
 * while none is), and gives them back when it ends; other model nodes take one. So two model nodes
 * running at once never ask for more threads than the budget has: the first takes what is free, the
 * next waits for a core. A node's results never depend on how many it got (its kind's contract).
 */
export class CoreBudget {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(readonly total: number) {
    if (!(Number.isInteger(total) && total >= 1)) throw new Error(`a core budget needs a whole number of cores ≥ 1, not ${total}`);
    this.free = total;
  }

  /** Take up to `want` cores (at least one, waiting while none is free); resolves to how many were taken. */
  async take(want: number): Promise<number> {
    while (this.free === 0 || this.queue.length) {
      await new Promise<void>((r) => this.queue.push(r));
      if (this.free > 0) break;
    }
    const n = Math.max(1, Math.min(want, this.free));
    this.free -= n;
    this.queue.shift()?.();
    return n;
  }

  give(n: number): void {
    this.free += n;
    this.queue.shift()?.();
  }

  /** Run `fn` with up to `want` cores; it receives how many it got. */
  async run<T>(want: number, fn: (cores: number) => Promise<T>): Promise<T> {
    const n = await this.take(want);
    try {
      return await fn(n);
    } finally {
      this.give(n);
    }
  }
}
