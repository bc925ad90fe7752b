// `kagami policy check|explain|sign|status`: the policy subcommands. check and explain are
// here; sign and status live in policy-sign.ts and policy-status.ts (signed team policies).
import { readFileSync } from 'node:fs';
import { Compile } from 'typebox/compile';
import { ExplainRequest } from '../../shared/schemas/policy-tools.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { formatIssue, PolicyError } from '../policy/policy-error.js';
import { checkPolicyAgainstConfig, type RoutingConfig } from '../policy/target-resolver.js';
import { createPiiScannerFromConfig } from '../pipeline/redact-prompt.js';
import { createJapaneseAnalyzer } from '../redaction/ja/analyzer.js';
import { seededRandom } from '../routing/strategies.js';
import { explainRequest, type Explanation } from '../simulator/explain-request.js';
import { EXIT, integerFlag, parseFlags, requireFlag, UsageError } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, configFileFrom, loadConfigWithoutSecrets } from './config-flags.js';
import { POLICY_SIGN_USAGE, runPolicySign } from './policy-sign.js';
import { POLICY_STATUS_USAGE, runPolicyStatus } from './policy-status.js';

const CHECK_USAGE = `  kagami policy check FILE… [--config FILE] [--json]
      validate policy files; every problem is printed as file:line:col: field: message
      (exit 1 when any file is invalid). With --config, also checks the endpoints'
      providers against that config (warnings)`;

const EXPLAIN_USAGE = `  kagami policy explain FILE --request REQ.json [--config FILE] [--seed N] [--json]
      run one request through the policy: the facts rules see, every condition of every
      rule tested up to the match, the action, the candidates with scores, the chosen
      endpoint (or why it is refused). REQ.json (- for stdin): an OpenAI request body, or
      { tenant, user, role, headers, at, data_class, latency_ms, body } (README, Policy)`;

const USAGE = `Usage:
${CHECK_USAGE}
${EXPLAIN_USAGE}
${POLICY_SIGN_USAGE}
${POLICY_STATUS_USAGE}`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  check: runCheck,
  explain: runExplain,
  sign: runPolicySign,
  status: runPolicyStatus,
};

async function run(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined) throw new UsageError('missing subcommand (check, explain, sign or status)');
  const subcommand = Object.hasOwn(SUBCOMMANDS, action) ? SUBCOMMANDS[action] : undefined;
  if (subcommand === undefined) throw new UsageError(`unknown subcommand "${action}"`);
  return subcommand(rest);
}

async function runCheck(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...CONFIG_FLAGS, json: { type: 'boolean' } }, true);
  if (positionals.length === 0) throw new UsageError('missing the policy FILE');
  const config = values.config !== undefined ? loadConfigWithoutSecrets(values) : null;
  const results = positionals.map((file) => checkFile(file, config));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    for (const result of results) {
      for (const issue of result.issues) process.stderr.write(`${issue}\n`);
      for (const warning of result.warnings) process.stderr.write(`${result.file}: warning: ${warning}\n`);
      if (result.ok) process.stdout.write(`${result.file}: OK (${result.summary})\n`);
      else process.stderr.write(`${result.file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}\n`);
    }
  }
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

interface CheckResult {
  readonly file: string;
  readonly ok: boolean;
  readonly issues: readonly string[];
  readonly warnings: readonly string[];
  readonly summary?: string;
}

function checkFile(file: string, config: RoutingConfig | null): CheckResult {
  let policy: CompiledPolicy;
  try {
    policy = loadPolicyFile(file);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { file, ok: false, issues: error.issues.map(formatIssue), warnings: [] };
  }
  const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  const summary = [
    `version ${policy.version}`,
    count(Object.keys(policy.endpoints).length, 'endpoint'),
    `${count(policy.rules.length, 'rule')} + default`,
    count(policy.dataClasses.length, 'data class', 'data classes'),
    count(policy.limits.length, 'limit'),
    count(policy.budgets.length, 'budget'),
  ].join(', ');
  return { file, ok: true, issues: [], warnings: config === null ? [] : checkPolicyAgainstConfig(policy, config), summary };
}

const validateExplainRequest = Compile(ExplainRequest);

async function runExplain(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { ...CONFIG_FLAGS, request: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('missing the policy FILE');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const requestFile = requireFlag(values.request, 'request');
  const seed = integerFlag(values.seed, 'seed', 0, 2 ** 32 - 1);

  let policy: CompiledPolicy;
  try {
    policy = loadPolicyFile(file);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    return EXIT.failed;
  }
  const request = readExplainRequest(requestFile);
  const config = values.config !== undefined || values['data-dir'] !== undefined || configFileFrom(values) !== null ? loadConfigWithoutSecrets(values) : null;

  // Entity-based data classes need the real PII scan (the Japanese analyzer starts only for
  // Japanese text, and is stopped before exiting).
  const japanese = policy.entityTypes.size > 0 ? createJapaneseAnalyzer() : null;
  try {
    const explanation = await explainRequest(request, {
      policy,
      config,
      piiScanner: japanese === null ? null : createPiiScannerFromConfig({ config: { redaction: config?.redaction }, japaneseAnalyzer: japanese }),
      random: seed === undefined ? Math.random : seededRandom(seed),
      now: Date.now(),
    });
    process.stdout.write(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(file, policy, config !== null, explanation));
    return EXIT.ok;
  } finally {
    await japanese?.close();
  }
}

/** A request file: the ExplainRequest shape, or a bare OpenAI request body. */
function readExplainRequest(file: string): ExplainRequest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (cause) {
    throw new Error(`${file}: ${(cause as Error).message}`, { cause });
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('body' in value) && 'model' in value) value = { body: value };
  if (!validateExplainRequest.Check(value)) {
    const problems = [...validateExplainRequest.Errors(value)].slice(0, 5).map((e) => `${e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replaceAll('/', '.')}: ${e.message}`);
    throw new Error(`${file}: not a request file: ${problems.join('; ')}`);
  }
  return value;
}

function formatExplanation(file: string, policy: CompiledPolicy, withConfig: boolean, e: Explanation): string {
  const lines: string[] = [];
  const f = e.facts;
  lines.push(`Policy ${file} (version ${policy.version}, sha256 ${policy.sha256.slice(0, 12)}…)${withConfig ? '' : '; no config: on_prem and providers as the policy says'}`);
  lines.push(
    `Request: tenant=${f.tenant || '-'} user=${f.user || '-'} role=${f.role ?? '-'} model=${f.model} operation=${f.operation} stream=${f.stream} at ${f.at}`,
  );
  lines.push(`  data classes: ${f.dataClasses.length > 0 ? f.dataClasses.join(', ') : 'none'}${f.entityTypes.length > 0 ? ` (PII found: ${f.entityTypes.join(', ')})` : ''}`);
  if (f.ignoredDataClasses.length > 0) lines.push(`  ignored (clients may not declare them): ${f.ignoredDataClasses.join(', ')}`);
  if (f.latencyBudgetMs !== null) lines.push(`  latency budget: ${f.latencyBudgetMs} ms`);
  if (f.costCapPer1k !== null) lines.push(`  cost cap: $${f.costCapPer1k} per 1k tokens`);
  lines.push(`  tokens (o200k): ${e.tokens.prompt} prompt, ${e.tokens.completion} completion expected`);

  lines.push('', 'Rules (first match wins):');
  for (const r of e.rules) {
    const where = r.index === -1 ? 'default' : `rules[${r.index}] ${r.rule}`;
    lines.push(`  ${where}: ${r.matched ? 'MATCH' : 'no match'}`);
    for (const c of r.conditions) lines.push(`      ${c.result ? 'yes' : 'no '}  ${c.condition}`);
  }

  const a = e.action;
  lines.push('', `Action of ${e.matched.index === -1 ? 'default' : `rule "${e.matched.rule}"`}: ${describeAction(a)}`);
  if (a.fallback.length > 0) lines.push(`  fallback: ${a.fallback.join(' → ')}`);
  lines.push(`  retries: ${a.retries}${a.maxTokens !== null ? `, max_tokens cap ${a.maxTokens}` : ''}${a.allowedModels ? `, allowed models ${a.allowedModels.join(', ')}` : ''}${a.cacheTtlS !== null ? `, cached ${a.cacheTtlS} s` : ''}`);

  lines.push('');
  const o = e.outcome;
  if (o.kind === 'refused') {
    lines.push(`Refused: ${o.status} ${o.code}: ${o.message}`);
    return `${lines.join('\n')}\n`;
  }
  if (o.onPremReason !== null) lines.push(`On-prem only: ${o.onPremReason}`);
  lines.push('Candidates (in order):');
  o.candidates.forEach((c, i) => {
    const latency = c.latencyMs === null || c.latencyMs === undefined ? 'unknown' : `${Math.round(c.latencyMs)} ms`;
    const scored = `${c.score === undefined ? '' : ` score=${c.score}`} cost=$${(c.costUsd ?? 0).toFixed(6)} latency=${latency}${c.withinSlo === false ? ' (over SLO)' : ''}`;
    lines.push(`  ${i + 1}. ${c.endpoint} → ${c.provider}/${c.model}${c.onPrem ? ' [on-prem]' : ''} breaker=${c.breaker}${scored}`);
  });
  for (const d of o.dropped) lines.push(`  dropped ${d.endpoint}: ${d.reason}`);
  if (o.attempts.length > o.candidates.length) lines.push(`  attempts with retries: ${o.attempts.join(' → ')}`);
  lines.push('', `Chosen endpoint: ${o.chosen}`);
  return `${lines.join('\n')}\n`;
}

function describeAction(a: Explanation['action']): string {
  switch (a.kind) {
    case 'deny':
      return 'deny';
    case 'weighted':
      return `weighted ${(a.weights ?? []).map((w) => `${w.endpoint} ${Math.round(w.share * 1000) / 10}%`).join(', ')} (first target drawn by weight)`;
    case 'strategy':
      return `strategy ${a.strategy?.type ?? '?'} over ${a.targets.join(', ')}${a.strategy?.type === 'cost_latency' ? ` (latency weight ${a.strategy.latencyWeight})` : ''}${a.strategy?.effectiveSloMs ? `, SLO ${a.strategy.effectiveSloMs} ms${a.strategy.effectiveSloMs !== a.strategy.sloMs ? ' (the request\'s latency budget)' : ''}` : ''}`;
    default:
      return `route_to ${a.targets.join(', ')}`;
  }
}

export const command: CliCommand = { summary: 'policy files: check, explain, sign, status', usage: USAGE, run };
