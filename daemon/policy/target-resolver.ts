// Endpoint names → targets the transport can call. A policy endpoint needs its provider in the
// config; `$requested` is the config model alias the client asked for. A target counts as
// on-prem for the PII guard only when the (team) policy endpoint says on_prem AND the config's
// provider does not say otherwise; `$requested` targets never do. So a local config can never
// make a cloud provider count as on-prem, and a policy cannot mislabel a cloud connection.
import type { Price } from '../../shared/schemas/price.js';
import { REQUESTED_MODEL, type CompiledPolicy } from './compile-policy.js';
import type { ResolvedTarget } from './evaluate.js';

/** The parts of the config routing reads. */
export interface RoutingConfig {
  readonly providers: readonly { readonly id: string; readonly on_prem?: boolean }[];
  readonly models: readonly { readonly name: string; readonly provider: string; readonly model: string; readonly price?: Price }[];
}

export type TargetResolver = (policy: CompiledPolicy, name: string, requestedModel: string) => ResolvedTarget | null;

export function createTargetResolver(config: RoutingConfig): TargetResolver {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  const aliases = new Map<string, ResolvedTarget>();
  for (const model of config.models) {
    if (!providers.has(model.provider)) continue;
    aliases.set(model.name, {
      endpoint: model.name,
      provider: model.provider,
      upstreamModel: model.model,
      price: model.price ?? null,
      onPrem: false,
      latencyHintMs: null,
    });
  }
  const perPolicy = new WeakMap<CompiledPolicy, Map<string, ResolvedTarget | null>>();
  return (policy, name, requestedModel) => {
    if (name === REQUESTED_MODEL) return aliases.get(requestedModel) ?? null;
    let cache = perPolicy.get(policy);
    if (cache === undefined) {
      cache = new Map();
      perPolicy.set(policy, cache);
    }
    let target = cache.get(name);
    if (target === undefined) {
      const endpoint = policy.endpoints[name];
      const provider = endpoint ? providers.get(endpoint.provider) : undefined;
      target =
        endpoint === undefined || provider === undefined
          ? null
          : {
              endpoint: name,
              provider: endpoint.provider,
              upstreamModel: endpoint.model,
              price: endpoint.price,
              onPrem: endpoint.onPrem && provider.on_prem !== false,
              latencyHintMs: endpoint.latencyHintMs,
            };
      cache.set(name, target);
    }
    return target;
  };
}

/** Problems between a policy and the config it runs with (unknown providers, on-prem mismatches). */
export function checkPolicyAgainstConfig(policy: CompiledPolicy, config: RoutingConfig): string[] {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  const problems: string[] = [];
  for (const endpoint of Object.values(policy.endpoints)) {
    const provider = providers.get(endpoint.provider);
    if (provider === undefined) {
      problems.push(`endpoint "${endpoint.name}": provider "${endpoint.provider}" is not in the config (requests routed there fail over)`);
    } else if (endpoint.onPrem && provider.on_prem === false) {
      problems.push(`endpoint "${endpoint.name}" is on_prem in the policy but provider "${endpoint.provider}" is not on_prem in the config: treated as cloud`);
    }
  }
  return problems;
}
