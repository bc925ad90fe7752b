// A clock for the outbox that only moves when the test says so: hours of backoff pass
// instantly, and the test controls exactly when each retry happens.
import { setImmediate as turn } from 'node:timers/promises';
import type { OutboxClock } from '../../../daemon/siem/outbox.js';

interface Sleeper {
  readonly until: number;
  readonly resolve: () => void;
}

export class FakeClock implements OutboxClock {
  time = 1_760_000_000_000;
  readonly sleepers = new Set<Sleeper>();

  now = (): number => this.time;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        this.sleepers.delete(sleeper);
        resolve();
      };
      const sleeper: Sleeper = {
        until: this.time + ms,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** Moves time forward, waking every sleeper due by then. */
  advance(ms: number): void {
    this.time += ms;
    for (const sleeper of [...this.sleepers]) {
      if (sleeper.until <= this.time) {
        this.sleepers.delete(sleeper);
        sleeper.resolve();
      }
    }
  }

  /** The earliest pending wake-up, or null. */
  nextWake(): number | null {
    let next: number | null = null;
    for (const sleeper of this.sleepers) if (next === null || sleeper.until < next) next = sleeper.until;
    return next;
  }

  /**
   * Lets real I/O run and jumps time to each next wake-up until `done()` holds (or gives up
   * after `maxSteps`, returning false). The simulated time that passed is `time` − start.
   */
  async runUntil(done: () => boolean, maxSteps = 10_000): Promise<boolean> {
    for (let step = 0; step < maxSteps; step++) {
      if (done()) return true;
      // Real I/O (HTTP to a local receiver) needs real turns of the event loop.
      for (let i = 0; i < 20 && !done(); i++) await turn();
      if (done()) return true;
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (done()) return true;
      const next = this.nextWake();
      if (next !== null && next > this.time) this.advance(next - this.time);
    }
    return done();
  }
}
