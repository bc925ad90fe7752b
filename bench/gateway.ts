// The gateway benchmark (issue 2): the same load sent straight to the simulator and through
// the gateway (audit on), 1 KB chat bodies, non-streaming and streaming, at fixed rates of
// 200 and 1000 requests/s and at saturation. Prints p50/p99 of both paths, the difference
// (the gateway's added latency), throughput, and the daemon's peak RSS; under each Kagami row,
// the same requests' own-work and upstream-leg times as the daemon's audit rows record them.
//
// Separate processes, as in real use: the simulator (`kagami mock-upstream`), the daemon
// (`kagami start`, built in dist/), this load generator (undici), and a minimal reference
// proxy (bench/bare-proxy.ts) that shows what any Node proxy costs on the same machine. Redaction is off in the
// main runs (the figure is the core request path); one extra row shows it on.
// Knobs: BENCH_SECONDS (per phase, default 5), BENCH_CONCURRENCY (saturation, default 64),
// BENCH_CPU_PROF=<dir> (the daemon runs under `node --cpu-prof`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { Database } from '../daemon/store/sqlite-driver.js';
import { policyOnOneProvider } from './hundred-rule-policy.js';
import { chatBody, waitForLine } from './processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KAGAMI = join(ROOT, 'bin', 'kagami.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const PROFILE_DIR = process.env.BENCH_CPU_PROF; // a folder: the daemon writes a .cpuprofile there on exit

interface Phase {
  readonly latencies: number[];
  readonly errors: number;
  readonly seconds: number;
}

interface Target {
  readonly name: string;
  readonly pool: Pool;
  readonly path: string;
  readonly headers: Record<string, string>;
}

async function once(target: Target, body: string): Promise<number | null> {
  const started = performance.now();
  try {
    const response = await target.pool.request({ method: 'POST', path: target.path, headers: target.headers, body });
    await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    return response.statusCode === 200 ? performance.now() - started : null;
  } catch {
    return null;
  }
}

/** Open loop: `rate` requests per second, each sent on schedule whatever the others do. */
async function fixedRate(target: Target, body: string, rate: number, seconds: number): Promise<Phase> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      pending.push(
        once(target, body).then((ms) => {
          if (ms === null) errors++;
          else latencies.push(ms);
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { latencies, errors, seconds: (performance.now() - start) / 1000 };
}

/** Closed loop: `concurrency` workers back to back, for `seconds`. */
async function saturate(target: Target, body: string, concurrency: number, seconds: number): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const ms = await once(target, body);
        if (ms === null) errors++;
        else latencies.push(ms);
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - start) / 1000 };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(phase: Phase): { p50: number; p99: number; rps: number; errors: number } {
  const sorted = [...phase.latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), rps: phase.latencies.length / phase.seconds, errors: phase.errors };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in ms (Linux clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs a phase and adds the CPU µs per completed request that process `pid` spent on it. */
async function withCpu(pid: number, phase: () => Promise<Phase>): Promise<Phase & { cpuUsPerRequest: number }> {
  const before = cpuMs(pid);
  const result = await phase();
  return { ...result, cpuUsPerRequest: ((cpuMs(pid) - before) * 1000) / Math.max(1, result.latencies.length) };
}

const ms = (value: number): string => value.toFixed(2).padStart(8);

interface DaemonVariant {
  /** Names its config file and data dir. */
  readonly name: string;
  readonly redaction: boolean;
  /** A policy file's YAML, or none. */
  readonly policy?: string;
}

async function startDaemon(dir: string, simulatorUrl: string, variant: DaemonVariant): Promise<{ child: ChildProcess; origin: string; key: string; dataDir: string }> {
  const config = join(dir, `kagami-${variant.name}.yaml`);
  const policyFile = join(dir, `policy-${variant.name}.yaml`);
  if (variant.policy !== undefined) writeFileSync(policyFile, variant.policy);
  writeFileSync(
    config,
    [
      `data_dir: ${join(dir, `data-${variant.name}`)}`,
      'listen: { host: 127.0.0.1, port: 0 }',
      'providers:',
      `  - { id: sim, type: openai, base_url: "${simulatorUrl}" }`,
      'models:',
      '  - { name: kagami-sim-chat, provider: sim, capabilities: { chat: true } }',
      `redaction: { enabled: ${variant.redaction} }`,
      ...(variant.policy === undefined ? [] : [`policy: { file: "${policyFile}" }`]),
      '',
    ].join('\n'),
  );
  const created = spawnSync(process.execPath, [KAGAMI, 'keys', 'create', '--tenant', 'bench', '--user', 'bench', '--config', config], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`kagami keys create failed: ${created.stderr}`);
  const key = created.stdout.trim();
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
  const child = spawn(process.execPath, [...profile, KAGAMI, 'start', '--config', config, '--no-first-key'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [, origin] = await waitForLine(child, /OpenAI base URL:\s+(http:\/\/[^\s/]+)\/v1/);
  return { child, origin: origin as string, key, dataDir: join(dir, `data-${variant.name}`) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function startBareProxy(simulatorOrigin: string): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'bare-proxy.ts'), simulatorOrigin], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, ready: waitForLine(child, /listening on (http:\/\/\S+)/).then((match) => match[1] as string) };
}

interface Path {
  readonly target: Target;
  /** The process whose CPU this path's own work costs. */
  readonly pid: number;
  /** A Kagami daemon's data dir: its audit rows say how long each request took inside it. */
  readonly dataDir?: string;
}

/** Highest audit row seq of a daemon's data dir so far (0 when none). */
function lastSeq(dataDir: string): number {
  const db = new Database(join(dataDir, 'kagami.db'), { readonly: true });
  try {
    return (db.prepare('SELECT MAX(seq) AS seq FROM audit_requests').get() as { seq: number | null }).seq ?? 0;
  } finally {
    db.close();
  }
}

/**
 * The daemon's own split of the requests audited after `afterSeq`: `gateway_ms` (its own
 * work) and `upstream_ms` (the upstream leg, including waits for its event loop) p50/p99.
 */
async function auditSplit(dataDir: string, afterSeq: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 50)); // rows commit within audit's 5 ms window
  const db = new Database(join(dataDir, 'kagami.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT gateway_ms, upstream_ms FROM audit_requests WHERE seq > ?').all(afterSeq) as { gateway_ms: number | null; upstream_ms: number | null }[];
    const split = (values: (number | null)[]): string => {
      const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
      return `p50 ${percentile(sorted, 50).toFixed(3)} p99 ${percentile(sorted, 99).toFixed(3)}`;
    };
    return `${' '.repeat(28)}inside the daemon (audit rows): own work ${split(rows.map((row) => row.gateway_ms))} ms, upstream leg ${split(rows.map((row) => row.upstream_ms))} ms`;
  } finally {
    db.close();
  }
}

function printRow(mode: string, load: string, name: string, phase: Phase & { cpuUsPerRequest: number }, base: ReturnType<typeof summary> | null, direct: ReturnType<typeof summary>): void {
  const s = summary(phase);
  const added = base === null ? '       -        -' : `${ms(s.p50 - base.p50)} ${ms(s.p99 - base.p99)}`;
  const share = load === 'saturation' && base !== null ? `  ${((s.rps / direct.rps) * 100).toFixed(0).padStart(3)}% of direct` : '';
  console.log(
    `${mode.padEnd(7)} ${load.padEnd(11)} ${name.padEnd(8)} ${ms(s.p50)} ${ms(s.p99)}  ${added}  ${s.rps.toFixed(0).padStart(7)} ${String(s.errors).padStart(6)} ${phase.cpuUsPerRequest.toFixed(0).padStart(8)}${share}`,
  );
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-bench-'));
  const simulator = spawn(process.execPath, [KAGAMI, 'mock-upstream', '--port', '0', '--reply', 'Revenue grew eight percent; costs were flat; two hires are planned.'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const children: ChildProcess[] = [simulator];
  const pools: Pool[] = [];
  const pool = (origin: string): Pool => {
    const created = new Pool(origin, { connections: 256 });
    pools.push(created);
    return created;
  };
  try {
    const [, simulatorUrl] = await waitForLine(simulator, /listening on (http:\/\/\S+)/);
    const simulatorOrigin = new URL(simulatorUrl as string).origin;
    const bare = startBareProxy(simulatorOrigin);
    children.push(bare.child);
    const daemon = await startDaemon(dir, simulatorUrl as string, { name: 'plain', redaction: false });
    children.push(daemon.child);
    // Routing on (issue 5): the 100-rule policy of bench/policy.ts; the bench key's tenant and
    // model match no rule, so every request tests all 100 before the default route.
    const routedDaemon = await startDaemon(dir, simulatorUrl as string, { name: 'policy', redaction: false, policy: policyOnOneProvider('sim') });
    children.push(routedDaemon.child);
    const bareOrigin = await bare.ready;

    const json = { 'content-type': 'application/json' };
    const chat = '/v1/chat/completions';
    const direct: Path = { target: { name: 'direct', pool: pool(simulatorOrigin), path: chat, headers: json }, pid: simulator.pid as number };
    const proxy: Path = { target: { name: 'bare', pool: pool(bareOrigin), path: chat, headers: json }, pid: bare.child.pid as number };
    const gateway: Path = {
      target: { name: 'gateway', pool: pool(daemon.origin), path: chat, headers: { ...json, authorization: `Bearer ${daemon.key}` } },
      pid: daemon.child.pid as number,
      dataDir: daemon.dataDir,
    };
    const routed: Path = {
      target: { name: 'routed', pool: pool(routedDaemon.origin), path: chat, headers: { ...json, authorization: `Bearer ${routedDaemon.key}` } },
      pid: routedDaemon.child.pid as number,
      dataDir: routedDaemon.dataDir,
    };

    console.log(`${SECONDS} s per phase; saturation = ${CONCURRENCY} concurrent clients; 1 KB chat bodies; audit on, redaction off; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`);
    console.log('paths: direct = load generator -> simulator; bare = a minimal fastify+undici proxy (bench/bare-proxy.ts, the floor for any Node proxy);');
    console.log('       gateway = kagami start (auth, policy, limits, routing, audit rows committed within 5 ms of the answer (audit.commit default), events, metrics)');
    console.log('       routed = the same with a 100-rule policy file (bench/hundred-rule-policy.ts; all 100 rules tested per request)');
    console.log('added = p50/p99 minus direct; CPU = CPU µs per request of the process serving that path (simulator / bare proxy / daemon)');
    console.log('mode    load        path          p50      p99     added p50/p99       rps errors CPU µs/r');
    for (const stream of [false, true]) {
      const body = chatBody(stream);
      const mode = stream ? 'stream' : 'json';
      // Warm every path (JIT, connection pools) before measuring.
      for (const path of [direct, proxy, gateway, routed]) await saturate(path.target, body, 16, 1);
      for (const load of [200, 1000, 'saturation'] as const) {
        const measure = (path: Path) =>
          withCpu(path.pid, () => (load === 'saturation' ? saturate(path.target, body, CONCURRENCY, SECONDS) : fixedRate(path.target, body, load, SECONDS)));
        const label = load === 'saturation' ? 'saturation' : `${load} rps`;
        const d = await measure(direct);
        const directSummary = summary(d);
        printRow(mode, label, 'direct', d, null, directSummary);
        printRow(mode, label, 'bare', await measure(proxy), directSummary, directSummary);
        for (const [name, path] of [['gateway', gateway], ['routed', routed]] as const) {
          const before = lastSeq(path.dataDir!);
          printRow(mode, label, name, await measure(path), directSummary, directSummary);
          console.log(await auditSplit(path.dataDir!, before));
        }
      }
    }
    console.log(`daemon peak RSS: ${peakRssMb(gateway.pid).toFixed(0)} MB`);
    await stop(daemon.child);
    await stop(routedDaemon.child);

    // The same non-streaming load with redaction on (the default config), for comparison.
    const redacting = await startDaemon(dir, simulatorUrl as string, { name: 'redaction', redaction: true });
    children.push(redacting.child);
    const withRedaction: Path = {
      target: { name: 'gateway', pool: pool(redacting.origin), path: chat, headers: { ...json, authorization: `Bearer ${redacting.key}` } },
      pid: redacting.child.pid as number,
    };
    const body = chatBody(false);
    await saturate(withRedaction.target, body, 16, 1);
    const d = await withCpu(direct.pid, () => fixedRate(direct.target, body, 1000, SECONDS));
    const r = await withCpu(withRedaction.pid, () => fixedRate(withRedaction.target, body, 1000, SECONDS));
    console.log('with redaction on (English detectors, the default):');
    printRow('json', '1000 rps', 'direct', d, null, summary(d));
    printRow('json', '1000 rps', 'gateway', r, summary(d), summary(d));
    console.log(`daemon (redaction on) peak RSS: ${peakRssMb(withRedaction.pid).toFixed(0)} MB`);
  } finally {
    for (const created of pools) await created.close();
    for (const child of children.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await run();
