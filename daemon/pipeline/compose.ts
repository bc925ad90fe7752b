// Runs stages as an onion: each stage gets `next` for the rest of the list, so a stage can act
// before and after the inner ones (redaction restores the response, audit sees every outcome).
import type { Outcome, RequestContext, Stage } from './context.js';

export function composeStages(stages: readonly Stage[]): (ctx: RequestContext) => Promise<Outcome> {
  return function runPipeline(ctx) {
    const dispatch = (index: number): Promise<Outcome> => {
      const stage = stages[index];
      if (stage === undefined) {
        return Promise.reject(new Error('pipeline ended without an outcome: the last stage must not call next()'));
      }
      let called = false;
      return stage(ctx, () => {
        if (called) return Promise.reject(new Error(`stage ${index} called next() twice`));
        called = true;
        return dispatch(index + 1);
      });
    };
    return dispatch(0);
  };
}
