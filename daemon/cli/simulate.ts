// `kagami simulate --policy FILE (--from DB | --traffic FILE)`: what a candidate policy would
// have done with recorded traffic, per tenant and endpoint, against what really happened.
import { existsSync, statSync } from 'node:fs';
import type { TrafficRecord } from '../../shared/schemas/policy-tools.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { formatIssue, PolicyError } from '../policy/policy-error.js';
import { simulatePolicy, TOTAL, type Figures, type ReportRow, type SimulationReport } from '../simulator/simulate-policy.js';
import { auditTraffic, readTrafficFile, TrafficError } from '../simulator/traffic-source.js';
import { assertDatabaseExists } from '../store/db.js';
import { EXIT, integerFlag, parseFlags, requireFlag, UsageError } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, loadConfigWithoutSecrets } from './config-flags.js';

const USAGE = `Usage: kagami simulate --policy FILE (--from DB | --traffic FILE.jsonl) [options]

Replays recorded traffic under a candidate policy and prints, per tenant and endpoint,
requests, cost and mean latency: what really happened → what the candidate would do (Δ %).

Traffic:
  --from DB           a daemon's audit trail: its kagami.db, or its data dir
  --since WHEN        only traffic since WHEN (30d, 12h or an ISO date)
  --traffic FILE      JSON Lines, one request per line (format: README, "Simulating a policy")

Options:
  --policy FILE       the candidate policy (YAML)
  --config FILE       resolve providers, on_prem and $requested model prices from this config
                      (default: the policy's endpoints as written)
  --seed N            seed of weighted draws (default 1: the same input gives the same report)
  --json              the report as JSON`;

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    policy: { type: 'string' },
    from: { type: 'string' },
    traffic: { type: 'string' },
    since: { type: 'string' },
    config: CONFIG_FLAGS.config,
    seed: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const policyFile = requireFlag(values.policy, 'policy');
  if ((values.from === undefined) === (values.traffic === undefined)) throw new UsageError('give exactly one of --from or --traffic');
  if (values.since !== undefined && values.from === undefined) throw new UsageError('--since applies to --from');
  const seed = integerFlag(values.seed, 'seed', 0, 2 ** 32 - 1) ?? 1;
  const since = values.since === undefined ? undefined : parseSince(values.since);

  let policy;
  try {
    policy = loadPolicyFile(policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    return EXIT.failed;
  }
  const config = values.config !== undefined ? loadConfigWithoutSecrets({ config: values.config }) : null;
  let records: () => Iterable<TrafficRecord>;
  if (values.from !== undefined) {
    const from = values.from;
    assertTrailExists(from);
    records = () => auditTraffic(from, since === undefined ? {} : { from: since });
  } else {
    let lines: TrafficRecord[];
    try {
      lines = readTrafficFile(requireFlag(values.traffic, 'traffic'));
    } catch (error) {
      if (!(error instanceof TrafficError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return EXIT.failed;
    }
    records = () => lines;
  }
  const report = simulatePolicy(records, { policy, config, seed, now: Date.now() });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, policyFile, policy.version, values.from ?? values.traffic ?? ''));
  if (config === null && (report.refused.model_not_found ?? 0) > 0) {
    process.stderr.write('Note: requests routed to $requested were refused because no config names the model aliases: pass --config.\n');
  }
  if (values.from !== undefined) {
    const blind = policy.rules.filter((rule) => rule.conditions.some((c) => UNRECORDED.has(c.name))).map((rule) => rule.name);
    if (blind.length > 0) {
      process.stderr.write(`Note: rule(s) ${blind.join(', ')} test headers, metadata or declared budgets, which the audit trail does not record: they match no replayed request.\n`);
    }
  }
  return EXIT.ok;
}

/** Conditions on request parts the audit trail does not keep. */
/** --from names a kagami.db file or a data dir holding one; anything else is a clear error. */
function assertTrailExists(path: string): void {
  if (!existsSync(path)) throw new Error(`--from ${path}: no such file or directory`);
  if (statSync(path).isDirectory()) assertDatabaseExists(path);
}

const UNRECORDED = new Set(['headers', 'metadata', 'latency_budget_ms', 'cost_cap_per_1k']);

function parseSince(value: string): number {
  const relative = /^(\d+)([dh])$/.exec(value);
  if (relative) return Date.now() - Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw new UsageError(`--since must be like 30d, 12h or an ISO date, got "${value}"`);
  return date;
}

const usd = (n: number): string => `$${n < 1 ? n.toFixed(6) : n.toFixed(2)}`;
const ms = (n: number | null): string => (n === null ? '-' : `${Math.round(n)} ms`);
const pct = (n: number | null): string => (n === null ? '' : ` (${n >= 0 ? '+' : ''}${n.toFixed(1)}%)`);

function columns(r: ReportRow): string[] {
  const a: Figures = r.actual;
  const s: Figures = r.simulated;
  return [
    r.tenant === '' && r.endpoint === TOTAL ? 'all tenants' : r.tenant || '(none)',
    r.endpoint,
    `${a.requests} → ${s.requests}`,
    `${usd(a.costUsd)} → ${usd(s.costUsd)}${pct(r.costDiffPct)}`,
    `${ms(a.meanLatencyMs)} → ${ms(s.meanLatencyMs)}${pct(r.latencyDiffPct)}`,
  ];
}

export function formatReport(report: SimulationReport, policyFile: string, version: number, source: string): string {
  const lines: string[] = [];
  const span = report.from === null || report.to === null ? '' : `, ${new Date(report.from).toISOString()} … ${new Date(report.to).toISOString()}`;
  lines.push(`Replayed ${report.requests} request${report.requests === 1 ? '' : 's'} from ${source}${span}`, `under ${policyFile} (version ${version}): actual → candidate`, '');
  const table = [['tenant', 'endpoint', 'requests', 'cost', 'mean latency'], ...report.rows.map(columns), columns(report.total)];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  table.forEach((row, index) => {
    if (index === 1 || (index === table.length - 1 && index > 1)) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    lines.push(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  });
  lines.push('', `Rules matched: ${Object.entries(report.rules).map(([rule, n]) => `${rule} ${n}`).join(', ') || 'none'}`);
  const refused = Object.entries(report.refused);
  if (refused.length > 0) lines.push(`Refused by the candidate: ${refused.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (report.unpriced > 0) lines.push(`Note: ${report.unpriced} request(s) went to endpoints without a price (counted at $0).`);
  if (report.latencyUnknown > 0) lines.push(`Note: ${report.latencyUnknown} request(s) went to endpoints with no recorded latency and no latency_hint_ms (left out of the means).`);
  lines.push('Latency: recorded where the candidate routes as before, else the endpoint\'s recorded median (or latency_hint_ms).');
  return `${lines.join('\n')}\n`;
}

export const command: CliCommand = { summary: 'replay recorded traffic under a candidate policy (cost, latency)', usage: USAGE, run };
