// A validated Policy → CompiledPolicy: references checked (endpoints, data classes), rule
// matchers, regexes and time windows compiled once, everything frozen. Problems go to
// `report` with their path so the loader can name file, line and field.
import { createHash } from 'node:crypto';
import type { DataClass, Endpoint, Policy, RuleAction, RuleConditions } from '../../shared/schemas/policy.js';
import type { Price } from '../../shared/schemas/price.js';
import { compileConditions, compileStringMatcher, compileValueMatch, type CompiledCondition } from './conditions.js';
import type { PathSegment, ReportIssue } from './policy-error.js';

/** The target name that means "the config model alias the client asked for". */
export const REQUESTED_MODEL = '$requested';

export interface CompiledEndpoint {
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  readonly price: Price | null;
  readonly region: string | null;
  readonly onPrem: boolean;
  readonly latencyHintMs: number | null;
  readonly healthCheck: { readonly path: string; readonly intervalMs: number; readonly timeoutMs: number } | null;
}

export interface CompiledDataClass {
  readonly name: string;
  readonly entities: ReadonlySet<string> | null;
  readonly headers: readonly (readonly [string, (value: string) => boolean])[];
  readonly metadata: readonly (readonly [string, (value: string) => boolean])[];
  readonly clientDeclared: boolean;
  readonly onPremOnly: boolean;
}

export type StrategyType = 'cheapest' | 'fastest' | 'cost_latency';

export interface CompiledAction {
  readonly kind: 'route' | 'weighted' | 'strategy' | 'deny';
  readonly routeTo: string | null;
  readonly weighted: readonly { readonly endpoint: string; readonly weight: number }[];
  readonly totalWeight: number;
  readonly strategy: {
    readonly type: StrategyType;
    readonly targets: readonly string[];
    readonly latencyWeight: number;
    readonly sloMs: number | null;
  } | null;
  readonly fallback: readonly string[];
  readonly retries: number;
  readonly denyMessage: string | null;
  readonly maxTokens: number | null;
  readonly allowedModels: readonly string[] | null;
  readonly isModelAllowed: (model: string) => boolean;
  readonly onPremOnly: boolean;
  /** Response cache TTL for requests this rule matched; null = no caching. */
  readonly cacheTtlS: number | null;
}

export interface CompiledRule {
  readonly name: string;
  /** Position in `rules` (-1 for the default). */
  readonly index: number;
  readonly conditions: readonly CompiledCondition[];
  readonly usesDataClasses: boolean;
  readonly action: CompiledAction;
}

export interface CompiledLimit {
  readonly index: number;
  readonly per: 'tenant' | 'user' | 'model' | 'key';
  readonly matches: ((value: string) => boolean) | null;
  readonly requestsPerMin: number | null;
  readonly tokensPerMin: number | null;
}

export interface CompiledBudget {
  readonly index: number;
  readonly per: 'tenant' | 'key';
  readonly matches: ((value: string) => boolean) | null;
  readonly dailyUsd: number | null;
  readonly monthlyUsd: number | null;
  readonly softRatio: number;
}

export interface CompiledPolicy {
  readonly fileName: string;
  /** SHA-256 of the policy text (hex), shown by /admin/policy and recorded in decisions. */
  readonly sha256: string;
  readonly version: number;
  /** The validated document as written (for GET /admin/policy). */
  readonly document: Policy;
  readonly endpoints: Readonly<Record<string, CompiledEndpoint>>;
  readonly dataClasses: readonly CompiledDataClass[];
  /** Data classes found from redaction entities need a scan of the prompt. */
  readonly entityTypes: ReadonlySet<string>;
  readonly rules: readonly CompiledRule[];
  readonly defaultRule: CompiledRule;
  readonly limits: readonly CompiledLimit[];
  readonly budgets: readonly CompiledBudget[];
  readonly cache: { readonly enabled: boolean; readonly ttlS: number; readonly maxEntries: number };
  readonly localOverrides: Policy['local_overrides'] | null;
}

export interface CompileOptions {
  readonly fileName: string;
  readonly text: string;
  readonly report: ReportIssue;
}

export function compilePolicy(policy: Policy, options: CompileOptions): CompiledPolicy {
  const { report } = options;
  const endpoints: Record<string, CompiledEndpoint> = Object.create(null) as Record<string, CompiledEndpoint>;
  for (const [name, endpoint] of Object.entries(policy.endpoints)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/.test(name)) {
      report(['endpoints', name], 'an endpoint name is letters, digits and . _ : / @ - (starting with a letter or digit)', 'key');
    }
    endpoints[name] = compileEndpoint(name, endpoint);
  }

  const dataClasses = Object.entries(policy.data_classes ?? {}).map(([name, spec]) => compileDataClass(name, spec, report));
  const dataClassNames = new Set(dataClasses.map((c) => c.name));
  const cache = {
    enabled: policy.cache?.enabled ?? false,
    ttlS: policy.cache?.ttl_s ?? 300,
    maxEntries: policy.cache?.max_entries ?? 10_000,
  };
  const onPremClasses = new Set(dataClasses.filter((c) => c.onPremOnly).map((c) => c.name));
  const ruleCtx = { report, endpoints, dataClassNames, onPremClasses, cache };

  const seenRules = new Map<string, number>();
  const rules = (policy.rules ?? []).map((rule, index) => {
    const path = ['rules', index];
    const earlier = seenRules.get(rule.name);
    if (earlier !== undefined) report([...path, 'name'], `duplicate rule name "${rule.name}" (also rules[${earlier}])`);
    seenRules.set(rule.name, index);
    return compileRule(rule.name, index, rule.when, rule, path, ruleCtx);
  });
  const defaultRule = compileRule('default', -1, {}, policy.default, ['default'], ruleCtx);

  const limits = (policy.limits ?? []).map((limit, index): CompiledLimit => {
    if (limit.requests_per_min === undefined && limit.tokens_per_min === undefined) {
      report(['limits', index], 'a limit needs requests_per_min, tokens_per_min or both');
    }
    return {
      index,
      per: limit.per,
      matches: limit.match === undefined ? null : compileStringMatcher(limit.match),
      requestsPerMin: limit.requests_per_min ?? null,
      tokensPerMin: limit.tokens_per_min ?? null,
    };
  });
  const budgets = (policy.budgets ?? []).map((budget, index): CompiledBudget => {
    if (budget.daily_usd === undefined && budget.monthly_usd === undefined) {
      report(['budgets', index], 'a budget needs daily_usd, monthly_usd or both');
    }
    return {
      index,
      per: budget.per,
      matches: budget.match === undefined ? null : compileStringMatcher(budget.match),
      dailyUsd: budget.daily_usd ?? null,
      monthlyUsd: budget.monthly_usd ?? null,
      softRatio: budget.soft_ratio ?? 0.8,
    };
  });
  for (const [i, name] of (policy.local_overrides?.endpoints ?? []).entries()) {
    if (endpoints[name] === undefined) report(['local_overrides', 'endpoints', i], unknownEndpoint(name, endpoints));
  }

  const entityTypes = new Set<string>();
  for (const dataClass of dataClasses) for (const entity of dataClass.entities ?? []) entityTypes.add(entity);

  return deepFreeze({
    fileName: options.fileName,
    sha256: createHash('sha256').update(options.text).digest('hex'),
    version: policy.version,
    document: structuredClone(policy),
    endpoints,
    dataClasses,
    entityTypes,
    rules,
    defaultRule,
    limits,
    budgets,
    cache,
    localOverrides: policy.local_overrides ?? null,
  });
}

function compileEndpoint(name: string, endpoint: Endpoint): CompiledEndpoint {
  return {
    name,
    provider: endpoint.provider,
    model: endpoint.model,
    price: endpoint.price ?? null,
    region: endpoint.region ?? null,
    onPrem: endpoint.on_prem ?? false,
    latencyHintMs: endpoint.latency_hint_ms ?? null,
    healthCheck: endpoint.health_check
      ? {
          path: endpoint.health_check.path ?? '/models',
          intervalMs: endpoint.health_check.interval_ms ?? 10_000,
          timeoutMs: endpoint.health_check.timeout_ms ?? 2_000,
        }
      : null,
  };
}

function compileDataClass(name: string, spec: DataClass, report: ReportIssue): CompiledDataClass {
  const path = ['data_classes', name];
  const ctx = { report, path, dataClassNames: new Set<string>() };
  if (spec.client_declared === false && !spec.entities && !spec.headers && !spec.metadata) {
    report(path, 'a data class needs entities, headers or metadata when clients may not declare it');
  }
  return {
    name,
    entities: spec.entities ? new Set(spec.entities) : null,
    headers: Object.entries(spec.headers ?? {}).map(([h, v]) => [h.toLowerCase(), compileValueMatch(v, ctx, [...path, 'headers', h])] as const),
    metadata: Object.entries(spec.metadata ?? {}).map(([k, v]) => [k, compileValueMatch(v, ctx, [...path, 'metadata', k])] as const),
    clientDeclared: spec.client_declared ?? true,
    onPremOnly: spec.on_prem_only ?? false,
  };
}

interface RuleCompileContext {
  readonly report: ReportIssue;
  readonly endpoints: Readonly<Record<string, CompiledEndpoint>>;
  readonly dataClassNames: ReadonlySet<string>;
  readonly onPremClasses: ReadonlySet<string>;
  readonly cache: { readonly enabled: boolean; readonly ttlS: number };
}

function compileRule(
  name: string,
  index: number,
  when: RuleConditions,
  action: RuleAction,
  path: readonly PathSegment[],
  ctx: RuleCompileContext,
): CompiledRule {
  const conditions = compileConditions(when, { report: ctx.report, path: [...path, 'when'], dataClassNames: ctx.dataClassNames });
  const compiledAction = compileAction(action, path, ctx);
  // A rule that explicitly matches an on-prem-only class must not name a cloud target: the
  // runtime guard would drop it anyway, but the author should hear about it now.
  const classes = when.data_class === undefined ? [] : typeof when.data_class === 'string' ? [when.data_class] : when.data_class;
  if (classes.some((c) => ctx.onPremClasses.has(c)) || compiledAction.onPremOnly) {
    for (const target of actionTargets(compiledAction)) {
      const endpoint = ctx.endpoints[target];
      if (endpoint !== undefined && !endpoint.onPrem) {
        ctx.report([...path], `routes on-prem-only data to "${target}", which is not an on_prem endpoint`);
      }
    }
  }
  return { name, index, conditions, usesDataClasses: when.data_class !== undefined, action: compiledAction };
}

function compileAction(action: RuleAction, path: readonly PathSegment[], ctx: RuleCompileContext): CompiledAction {
  const { report, endpoints } = ctx;
  const chosen = (['route_to', 'weighted', 'strategy', 'deny'] as const).filter((k) => action[k] !== undefined);
  if (chosen.length !== 1) {
    report([...path], chosen.length === 0 ? 'needs one of route_to, weighted, strategy or deny' : `only one of ${chosen.join(', ')} may be given`);
  }
  const checkTarget = (target: string, at: readonly PathSegment[]): void => {
    if (target !== REQUESTED_MODEL && endpoints[target] === undefined) report(at, unknownEndpoint(target, endpoints));
  };
  if (action.route_to !== undefined) checkTarget(action.route_to, [...path, 'route_to']);
  action.weighted?.forEach((w, i) => checkTarget(w.endpoint, [...path, 'weighted', i, 'endpoint']));
  action.strategy?.targets.forEach((t, i) => checkTarget(t, [...path, 'strategy', 'targets', i]));
  action.fallback?.forEach((t, i) => checkTarget(t, [...path, 'fallback', i]));
  if (action.deny !== undefined && action.fallback !== undefined) report([...path, 'fallback'], 'a deny rule has no fallback');

  const kind = action.deny !== undefined ? 'deny' : action.weighted ? 'weighted' : action.strategy ? 'strategy' : 'route';
  const cacheTtlS =
    action.cache === undefined
      ? ctx.cache.enabled
        ? ctx.cache.ttlS
        : null
      : action.cache === true
        ? ctx.cache.ttlS
        : action.cache === false
          ? null
          : action.cache.ttl_s;
  const allowed = action.allowed_models ?? null;
  const allowedMatcher = allowed === null ? () => true : compileStringMatcher(allowed);
  return {
    kind,
    routeTo: action.route_to ?? null,
    weighted: action.weighted ?? [],
    totalWeight: (action.weighted ?? []).reduce((sum, w) => sum + w.weight, 0),
    strategy: action.strategy
      ? {
          type: action.strategy.type,
          targets: action.strategy.targets,
          latencyWeight: action.strategy.latency_weight ?? 0.5,
          sloMs: action.strategy.slo_ms ?? null,
        }
      : null,
    fallback: action.fallback ?? [],
    retries: action.retries ?? 1,
    denyMessage: action.deny ?? null,
    maxTokens: action.max_tokens ?? null,
    allowedModels: allowed,
    isModelAllowed: allowedMatcher,
    onPremOnly: action.on_prem_only ?? false,
    cacheTtlS,
  };
}

/** Every endpoint name an action may send to, in its natural order (without duplicates). */
export function actionTargets(action: CompiledAction): string[] {
  const names: string[] = [];
  if (action.routeTo !== null) names.push(action.routeTo);
  for (const w of action.weighted) names.push(w.endpoint);
  if (action.strategy) names.push(...action.strategy.targets);
  names.push(...action.fallback);
  return [...new Set(names)];
}

function unknownEndpoint(name: string, endpoints: Readonly<Record<string, CompiledEndpoint>>): string {
  const known = Object.keys(endpoints);
  return `unknown endpoint "${name}" (declared under endpoints: ${known.length > 0 ? known.join(', ') : 'none'}; or ${REQUESTED_MODEL})`;
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Set || value instanceof Map) {
    for (const item of value.values()) deepFreeze(item);
    return Object.freeze(value);
  }
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
  return Object.freeze(value);
}
