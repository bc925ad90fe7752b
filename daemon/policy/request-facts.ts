// Gathers what rules look at from a request, once: who (principal), what (model, operation),
// declared budgets, headers/metadata and the data classes the request carries.
//
// Data classes come from three places: redaction findings (entity types, from the redaction
// engine's memoized scan), the class definitions' header/metadata matchers, and the client
// declaring them itself: header `x-kagami-data-class: a, b` or `metadata.kagami_data_class`.
// A client may only declare classes the policy defines with client_declared (default true);
// others are ignored and recorded. Declaring a class can only restrict routing further when
// the policy routes that class more strictly, which is what it is for.
import type { RequestContext } from '../pipeline/context.js';
import type { CompiledPolicy } from './compile-policy.js';
import type { RequestFacts } from './conditions.js';

export const DATA_CLASS_HEADER = 'x-kagami-data-class';
export const DATA_CLASS_METADATA_KEY = 'kagami_data_class';
export const LATENCY_BUDGET_HEADER = 'x-kagami-latency-budget-ms';
export const COST_CAP_HEADER = 'x-kagami-max-cost-per-1k';

export interface ClassifiedRequest {
  readonly facts: RequestFacts;
  /** Client-declared classes the policy does not let clients declare. */
  readonly ignoredDeclarations: readonly string[];
}

/** `now` (ms) is what time-of-day conditions see: the daemon's policy clock, else the arrival time. */
export function buildRequestFacts(ctx: RequestContext, policy: CompiledPolicy, entityTypes: ReadonlySet<string>, now: number = ctx.startedAt): ClassifiedRequest {
  const body = ctx.request.body;
  const metadata = isRecord(body.metadata) ? body.metadata : null;
  const headers = ctx.headers;
  const dataClasses = new Set<string>(ctx.dataClasses);
  const ignored: string[] = [];

  const declared = [...splitList(headers[DATA_CLASS_HEADER]), ...splitList(metadata?.[DATA_CLASS_METADATA_KEY])];
  for (const name of declared) {
    const def = policy.dataClasses.find((c) => c.name === name);
    if (def?.clientDeclared === true) dataClasses.add(name);
    else ignored.push(name);
  }
  for (const def of policy.dataClasses) {
    if (dataClasses.has(def.name)) continue;
    if (def.entities !== null) {
      for (const type of def.entities) {
        if (entityTypes.has(type)) {
          dataClasses.add(def.name);
          break;
        }
      }
      if (dataClasses.has(def.name)) continue;
    }
    if (def.headers.length > 0 && def.headers.every(([name, match]) => matchesHeader(headers[name], match))) {
      dataClasses.add(def.name);
      continue;
    }
    if (def.metadata.length > 0 && metadata !== null && def.metadata.every(([key, match]) => typeof metadata[key] === 'string' && match(metadata[key]))) {
      dataClasses.add(def.name);
    }
  }
  for (const name of dataClasses) ctx.dataClasses.add(name);

  const principal = ctx.principal;
  return {
    facts: {
      tenant: principal?.tenant ?? '',
      user: principal?.user ?? '',
      role: principal?.role ?? null,
      keyId: principal?.keyId ?? '',
      model: body.model,
      operation: ctx.request.op,
      stream: body.stream === true,
      headers,
      metadata,
      dataClasses,
      latencyBudgetMs: readNumber(headers[LATENCY_BUDGET_HEADER], metadata?.latency_budget_ms),
      costCapPer1k: readNumber(headers[COST_CAP_HEADER], metadata?.max_cost_per_1k),
      now,
    },
    ignoredDeclarations: ignored,
  };
}

function matchesHeader(value: string | string[] | undefined, match: (v: string) => boolean): boolean {
  if (value === undefined) return false;
  return match(Array.isArray(value) ? value.join(', ') : value);
}

function splitList(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(splitList);
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readNumber(header: string | string[] | undefined, meta: unknown): number | null {
  const raw = Array.isArray(header) ? header[0] : header ?? (typeof meta === 'number' ? String(meta) : typeof meta === 'string' ? meta : undefined);
  if (raw === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(raw)) return null;
  return Number(raw);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
