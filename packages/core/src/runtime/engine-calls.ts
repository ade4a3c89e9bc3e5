import { toBerthError } from './engine-errors.js';
import type { EngineCallObserver } from './runtime.js';

/** A driver's engine calls: each timed for the observer, and its failure made berth's own. */
export class EngineCalls {
  /** `onCall` hears of every engine call (metrics); it is never allowed to fail one. */
  constructor(private readonly onCall: EngineCallObserver | undefined) {}

  /** Times one engine call for the observer under a short stable name such as `container.start`. */
  async timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    const observe = this.onCall;
    if (!observe) return call();
    const started = performance.now();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } finally {
      try {
        observe(op, (performance.now() - started) / 1000, ok);
      } catch {
        // A broken observer loses a sample, never the call.
      }
    }
  }

  /** One engine call: timed, and its failure turned into berth's errors (`what` reads in a message). */
  engine<T>(op: string, what: string, call: () => Promise<T>): Promise<T> {
    return this.timed(op, async () => {
      try {
        return await call();
      } catch (err) {
        throw toBerthError(err, what);
      }
    });
  }
}
