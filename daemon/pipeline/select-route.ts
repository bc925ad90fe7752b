// Where the request goes: the policy stage may already have put ordered candidates in
// ctx.candidates; otherwise the requested model alias is looked up in config `models`, and
// the model must be configured for the operation (capabilities.chat / completions / embeddings).
import { GatewayError } from '../../shared/errors.js';
import type { Config } from '../../shared/schemas/config.js';
import type { Operation, Stage, Target } from './context.js';
import { createCapabilityFilter } from '../providers/model-capabilities.js';

export interface SelectRouteDeps {
  readonly config: Pick<Config, 'models'>;
}

const CAPABILITY = { chat: 'chat', completion: 'completions', embedding: 'embeddings' } as const satisfies Record<Operation, string>;

interface ModelRoute {
  readonly target: Target;
  readonly ops: ReadonlySet<Operation>;
}

export function createSelectRoute(deps: SelectRouteDeps): Stage {
  // Built once: alias → target (config is frozen; a reload builds a new app).
  const routes = new Map<string, ModelRoute>();
  for (const model of deps.config.models) {
    const ops = new Set<Operation>();
    for (const op of Object.keys(CAPABILITY) as Operation[]) if (model.capabilities[CAPABILITY[op]]) ops.add(op);
    routes.set(model.name, { target: { endpoint: model.name, provider: model.provider, upstreamModel: model.model }, ops });
  }
  const requireCapabilities = createCapabilityFilter(deps.config.models);
  return async function selectRoute(ctx, next) {
    if (ctx.candidates.length === 0) {
      const model = ctx.request.body.model;
      const route = routes.get(model);
      if (route === undefined) {
        throw new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
          param: 'model',
        });
      }
      if (!route.ops.has(ctx.request.op)) {
        throw new GatewayError('capability_missing', `The model \`${model}\` is not configured for ${CAPABILITY[ctx.request.op]}.`, {
          param: 'model',
        });
      }
      ctx.candidates.push(route.target);
    }
    // tools / vision / json_mode / context_window; nothing to check: the same array, synchronously.
    const kept = requireCapabilities(ctx.candidates, ctx.request);
    if (kept instanceof Promise) ctx.candidates = await kept;
    return next();
  };
}
