// A developer's own rules on top of the team policy, only where the team allows it
// (`local_overrides.allowed`: rules, endpoints, limits, cache; `local_overrides.endpoints`
// bounds where local rules may send requests). Team guards always win: team `deny` rules,
// rules on data classes and on_prem_only rules are evaluated before any local rule; the
// remaining team rules and the team default come after. Local limits only add limits.
import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { CacheSettings, Endpoint, RateLimit, Rule, type Policy, type RuleAction } from '../../../shared/schemas/policy.js';
import { compilePolicy, type CompiledPolicy } from '../compile-policy.js';
import { formatPath, PolicyError, type PathSegment, type PolicyIssue } from '../policy-error.js';

const LocalRulesFile = Type.Object(
  {
    rules: Type.Optional(Type.Array(Rule)),
    endpoints: Type.Optional(Type.Record(Type.String(), Endpoint)),
    limits: Type.Optional(Type.Array(RateLimit)),
    cache: Type.Optional(CacheSettings),
  },
  { additionalProperties: false },
);
type LocalRulesFile = Type.Static<typeof LocalRulesFile>;
const checkLocal = Compile(LocalRulesFile);

/**
 * The merge to apply to every team policy. It reads the file each time a team policy is
 * published (or the file changes), never per request; an unreadable file refuses the local rules.
 */
export function createLocalRulesMerger(file: string): (team: CompiledPolicy) => CompiledPolicy {
  return (team) => mergeLocalRules(team, readFileSync(file, 'utf8'), file);
}

export function mergeLocalRules(team: CompiledPolicy, text: string, file: string): CompiledPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const issues: PolicyIssue[] = [];
  const report = (path: readonly PathSegment[], message: string): void => {
    // A top-level key is reported at the key itself (`rules:`), anything deeper at its value.
    const node =
      path.length === 0 ? doc.contents : path.length === 1 && isMap(doc.contents) ? doc.contents.items.find((pair) => isScalar(pair.key) && pair.key.value === path[0])?.key : doc.getIn(path, true);
    const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    issues.push({ file, line: pos.line, col: pos.col, path: formatPath(path), message });
  };
  for (const error of doc.errors) report([], error.message.split('\n')[0] ?? error.message);
  if (issues.length > 0) throw new PolicyError(issues);

  const local: unknown = doc.toJS() ?? {};
  if (!checkLocal.Check(local)) {
    for (const error of checkLocal.Errors(local)) {
      const path = error.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      report(path, error.message);
    }
    throw new PolicyError(issues);
  }

  const allowed = new Set<string>(team.localOverrides?.allowed ?? []);
  for (const key of Object.keys(local)) {
    if (!allowed.has(key)) report([key], `the team policy (version ${team.version}) does not allow local ${key}`);
  }
  const teamEndpoints = team.document.endpoints;
  for (const name of Object.keys(local.endpoints ?? {})) {
    if (Object.hasOwn(teamEndpoints, name)) report(['endpoints', name], `"${name}" is a team endpoint and cannot be redefined locally`);
  }
  const reachable = team.localOverrides?.endpoints ? new Set([...team.localOverrides.endpoints, ...Object.keys(local.endpoints ?? {})]) : null;
  (local.rules ?? []).forEach((rule, index) => {
    if (reachable === null) return;
    for (const target of targetsOf(rule)) {
      if (!reachable.has(target)) report(['rules', index], `local rules may route only to ${[...reachable].join(', ')}, not "${target}"`);
    }
  });
  if (issues.length > 0) throw new PolicyError(issues);

  const teamRules = team.document.rules ?? [];
  const isGuard = (index: number): boolean => {
    const compiled = team.rules[index];
    return compiled !== undefined && (compiled.action.kind === 'deny' || compiled.usesDataClasses || compiled.action.onPremOnly);
  };
  const guards = teamRules.filter((_, i) => isGuard(i));
  const others = teamRules.filter((_, i) => !isGuard(i));
  const localRules = (local.rules ?? []).map((rule) => ({ ...rule, name: `local:${rule.name}` }));
  const merged: Policy = {
    ...team.document,
    endpoints: { ...teamEndpoints, ...local.endpoints },
    rules: [...guards, ...localRules, ...others],
    limits: [...(team.document.limits ?? []), ...(local.limits ?? [])],
    ...(local.cache ? { cache: local.cache } : {}),
  };
  const firstLocal = guards.length;
  const compiled = compilePolicy(merged, {
    fileName: `${team.fileName} + ${file}`,
    text,
    report: (path, message) => {
      // Map a merged-rules path back into the local file where it came from.
      const [head, index, ...rest] = path;
      if (head === 'rules' && typeof index === 'number' && index >= firstLocal && index < firstLocal + localRules.length) {
        report(['rules', index - firstLocal, ...rest], message);
      } else {
        report([], `${formatPath(path)}: ${message}`);
      }
    },
  });
  if (issues.length > 0) throw new PolicyError(issues);
  return compiled;
}

function targetsOf(action: RuleAction): string[] {
  return [
    ...(action.route_to !== undefined ? [action.route_to] : []),
    ...(action.weighted ?? []).map((t) => t.endpoint),
    ...(action.strategy?.targets ?? []),
    ...(action.fallback ?? []),
  ];
}
