// Where the request goes: the policy stage may already have put ordered candidates in
// ctx.candidates; otherwise the requested model alias is looked up in config `models`.
import { GatewayError } from '../../shared/errors.js';
import type { GatewayConfig } from '../deps.js';
import type { Stage, Target } from './context.js';

export interface SelectRouteDeps {
  readonly config: Pick<GatewayConfig, 'models'>;
}

export function createSelectRoute(deps: SelectRouteDeps): Stage {
  // Built once: alias → target (config is frozen; a reload builds a new app).
  const targets = new Map<string, Target>();
  for (const model of deps.config.models) {
    targets.set(model.name, { endpoint: model.name, provider: model.provider, upstreamModel: model.model });
  }
  return async function selectRoute(ctx, next) {
    if (ctx.candidates.length === 0) {
      const model = ctx.request.body.model;
      const target = targets.get(model);
      if (target === undefined) {
        throw new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
          param: 'model',
        });
      }
      ctx.candidates.push(target);
    }
    return next();
  };
}
