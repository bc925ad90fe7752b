// Rule conditions (`when:`): each is compiled once, at policy load, into a predicate over the
// request's facts. Adding a condition is one schema field (shared/schemas/policy.ts) plus one
// entry in CONDITIONS below. Predicates do no allocation-heavy work: they run for every rule
// of every request (bench/policy.ts).
import type { Operation } from '../pipeline/context.js';
import type { RuleConditions, TimeWindow } from '../../shared/schemas/policy.js';
import type { PathSegment, ReportIssue } from './policy-error.js';

/** What rules can look at, gathered once per request by the applyPolicy stage. */
export interface RequestFacts {
  readonly tenant: string;
  readonly user: string;
  readonly role: string | null;
  readonly keyId: string;
  /** The model (alias) the client asked for. */
  readonly model: string;
  readonly operation: Operation;
  readonly stream: boolean;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body's `metadata` object (string values), if any. */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly dataClasses: ReadonlySet<string>;
  readonly latencyBudgetMs: number | null;
  readonly costCapPer1k: number | null;
  /** Date.now() of the request. */
  readonly now: number;
}

export interface CompiledCondition {
  readonly name: keyof RuleConditions;
  /** Human-readable form for `policy explain` and the audit row: `tenant in [acme]`. */
  readonly label: string;
  readonly test: (facts: RequestFacts) => boolean;
}

export interface ConditionCompileContext {
  readonly report: ReportIssue;
  readonly path: readonly PathSegment[];
  readonly dataClassNames: ReadonlySet<string>;
}

type ConditionCompiler<K extends keyof RuleConditions> = (
  spec: NonNullable<RuleConditions[K]>,
  ctx: ConditionCompileContext,
) => Omit<CompiledCondition, 'name'>;

const CONDITIONS: { [K in keyof Required<RuleConditions>]: ConditionCompiler<K> } = {
  tenant: (spec) => stringCondition('tenant', spec, (f) => f.tenant),
  user: (spec) => stringCondition('user', spec, (f) => f.user),
  role: (spec) => stringCondition('role', spec, (f) => f.role ?? ''),
  model: (spec) => stringCondition('model', spec, (f) => f.model),
  operation: (spec) => stringCondition('operation', spec, (f) => f.operation),
  stream: (spec) => ({ label: `stream = ${spec}`, test: (f) => f.stream === spec }),
  data_class: (spec, ctx) => {
    const names = toList(spec);
    names.forEach((name, i) => {
      if (!ctx.dataClassNames.has(name)) {
        const known = [...ctx.dataClassNames].join(', ') || 'none';
        ctx.report(Array.isArray(spec) ? [...ctx.path, i] : ctx.path, `unknown data class "${name}" (declared under data_classes: ${known})`);
      }
    });
    const [first] = names;
    const test =
      names.length === 1 && first !== undefined
        ? (f: RequestFacts) => f.dataClasses.has(first)
        : (f: RequestFacts) => {
            for (const name of names) if (f.dataClasses.has(name)) return true;
            return false;
          };
    return { label: `data_class in [${names.join(', ')}]`, test };
  },
  latency_budget_ms: (spec) => numberCondition('latency_budget_ms', spec, (f) => f.latencyBudgetMs),
  cost_cap_per_1k: (spec) => numberCondition('cost_cap_per_1k', spec, (f) => f.costCapPer1k),
  metadata: (spec, ctx) => {
    const entries = Object.entries(spec).map(([key, value]) => [key, compileValueMatch(value, ctx, [...ctx.path, key])] as const);
    return {
      label: `metadata ${entries.map(([k]) => k).join(', ')} match`,
      test: (f) => {
        if (f.metadata === null) return false;
        for (const [key, match] of entries) {
          const value = f.metadata[key];
          if (typeof value !== 'string' || !match(value)) return false;
        }
        return true;
      },
    };
  },
  headers: (spec, ctx) => {
    const entries = Object.entries(spec).map(([name, value]) => [name.toLowerCase(), compileValueMatch(value, ctx, [...ctx.path, name])] as const);
    return {
      label: `headers ${entries.map(([k]) => k).join(', ')} match`,
      test: (f) => {
        for (const [name, match] of entries) {
          const value = f.headers[name];
          if (value === undefined || !match(Array.isArray(value) ? value.join(', ') : value)) return false;
        }
        return true;
      },
    };
  },
  time: (spec, ctx) => compileTimeWindow(spec, ctx),
};

/** Compiles a rule's `when:` block; the conditions run in a fixed, cheap-first order. */
export function compileConditions(when: RuleConditions, ctx: ConditionCompileContext): CompiledCondition[] {
  const compiled: CompiledCondition[] = [];
  for (const name of Object.keys(CONDITIONS) as (keyof RuleConditions)[]) {
    const spec = when[name];
    if (spec === undefined) continue;
    const compile = CONDITIONS[name] as ConditionCompiler<typeof name>;
    compiled.push({ name, ...compile(spec as never, { ...ctx, path: [...ctx.path, name] }) });
  }
  return compiled;
}

function toList(spec: string | readonly string[]): readonly string[] {
  return typeof spec === 'string' ? [spec] : spec;
}

/** Matches strings against exact values and `*` wildcards. */
export function compileStringMatcher(spec: string | readonly string[]): (value: string) => boolean {
  const values = toList(spec);
  const exact = new Set(values.filter((v) => !v.includes('*')));
  const patterns = values.filter((v) => v.includes('*'));
  if (patterns.length === 0) {
    const [only] = values;
    if (exact.size === 1 && only !== undefined) return (value) => value === only;
    return (value) => exact.has(value);
  }
  const regex = new RegExp(`^(?:${patterns.map((p) => p.split('*').map(escapeRegex).join('.*')).join('|')})$`);
  return (value) => exact.has(value) || regex.test(value);
}

function stringCondition(
  name: string,
  spec: string | readonly string[],
  read: (facts: RequestFacts) => string,
): Omit<CompiledCondition, 'name'> {
  const match = compileStringMatcher(spec);
  return { label: `${name} in [${toList(spec).join(', ')}]`, test: (f) => match(read(f)) };
}

function numberCondition(
  name: string,
  spec: string,
  read: (facts: RequestFacts) => number | null,
): Omit<CompiledCondition, 'name'> {
  const m = /^\s*(<=|>=|<|>|=)\s*([0-9.]+)\s*$/.exec(spec);
  const op = m?.[1] ?? '=';
  const limit = Number(m?.[2] ?? 'NaN');
  const compare: (v: number) => boolean =
    op === '<' ? (v) => v < limit : op === '<=' ? (v) => v <= limit : op === '>' ? (v) => v > limit : op === '>=' ? (v) => v >= limit : (v) => v === limit;
  return {
    label: `${name} ${op} ${limit}`,
    test: (f) => {
      const value = read(f);
      return value !== null && compare(value);
    },
  };
}

/** Exact strings, or `/regex/flags`, compiled once. */
export function compileValueMatch(
  spec: string | readonly string[],
  ctx: ConditionCompileContext,
  path: readonly PathSegment[],
): (value: string) => boolean {
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  toList(spec).forEach((value, i) => {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(value);
    if (m === null) {
      exact.add(value);
      return;
    }
    try {
      regexes.push(new RegExp(m[1] ?? '', (m[2] ?? '').replace(/[gy]/g, '')));
    } catch (cause) {
      ctx.report(typeof spec === 'string' ? path : [...path, i], `invalid regular expression: ${(cause as Error).message}`);
    }
  });
  return (value) => {
    if (exact.has(value)) return true;
    for (const regex of regexes) if (regex.test(value)) return true;
    return false;
  };
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Local (day of week, minute of day) in a time zone, cached per minute: Intl is slow. */
function createLocalClock(timeZone: string): (now: number) => { day: number; minute: number } {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  let cachedMinute = -1;
  let cached = { day: 0, minute: 0 };
  return (now) => {
    const epochMinute = Math.floor(now / 60_000);
    if (epochMinute === cachedMinute) return cached;
    let day = 0;
    let hour = 0;
    let minute = 0;
    for (const part of format.formatToParts(now)) {
      if (part.type === 'weekday') day = DAY_NAMES.indexOf(part.value.toLowerCase().slice(0, 3) as (typeof DAY_NAMES)[number]);
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    cachedMinute = epochMinute;
    cached = { day, minute: hour * 60 + minute };
    return cached;
  };
}

function compileTimeWindow(spec: TimeWindow, ctx: ConditionCompileContext): Omit<CompiledCondition, 'name'> {
  const timeZone = spec.tz ?? 'UTC';
  let clock: (now: number) => { day: number; minute: number };
  try {
    clock = createLocalClock(timeZone);
  } catch {
    ctx.report([...ctx.path, 'tz'], `unknown time zone "${timeZone}"`);
    clock = () => ({ day: 0, minute: 0 });
  }
  const days = spec.days ? new Set(spec.days.map((d) => DAY_NAMES.indexOf(d))) : null;
  let from = 0;
  let to = 24 * 60;
  if (spec.between !== undefined) {
    const [a = '00:00', b = '24:00'] = spec.between.split('-');
    const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    from = toMinutes(a);
    to = toMinutes(b);
    if (from === to) ctx.report([...ctx.path, 'between'], 'an empty time window (start equals end)');
  }
  const wraps = to < from;
  return {
    label: `time ${spec.between ?? 'any time'}${spec.days ? ` on ${spec.days.join(',')}` : ''} ${timeZone}`,
    test: (f) => {
      const local = clock(f.now);
      // A window that wraps midnight belongs to the day it started on.
      if (wraps) {
        if (local.minute >= from) return days === null || days.has(local.day);
        if (local.minute < to) return days === null || days.has((local.day + 6) % 7);
        return false;
      }
      return local.minute >= from && local.minute < to && (days === null || days.has(local.day));
    },
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
