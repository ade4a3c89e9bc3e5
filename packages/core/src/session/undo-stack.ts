import type { Logger } from '../logger.js';

/**
 * The steps that take back what a create made so far. Each step made pushes how to undo it; a
 * failure further on runs them newest first, and an undo step that fails is logged, not thrown, so
 * the rest still run and the caller sees the reason the create failed.
 */
export class UndoStack {
  private readonly steps: Array<() => Promise<unknown>> = [];

  defer(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async unwind(logger: Logger, context: Record<string, unknown>): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step().catch((err) => logger.warn({ err, ...context }, 'undo step failed'));
    }
  }
}
