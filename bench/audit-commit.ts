// What the audit settings cost a request: `audit.commit` (after_response, before_response) ×
// `audit.writer` (event_loop, worker_thread), each a real daemon (`kagami start` from dist/,
// redaction off) in front of one simulator. One client sends 1 KB chats one at a time,
// rotating between the daemons, so every variant sees the same machine load at the same
// moments (on a shared machine, separate runs per variant differ more than the variants do).
// Prints p50/p90/p99 per variant and the median of the paired differences to the default.
// Knob: BENCH_REQUESTS (per daemon and mode, default 2000).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { chatBody, waitForLine } from './processes.js';

const KAGAMI = fileURLToPath(new URL('../bin/kagami.js', import.meta.url));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = 300;

const VARIANTS = [
  { name: 'after_response, event_loop (default)', audit: '{ commit: after_response, writer: event_loop }' },
  { name: 'before_response, event_loop', audit: '{ commit: before_response, writer: event_loop }' },
  { name: 'after_response, worker_thread', audit: '{ commit: after_response, writer: worker_thread }' },
  { name: 'before_response, worker_thread', audit: '{ commit: before_response, writer: worker_thread }' },
] as const;

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pool: Pool;
  readonly key: string;
}

async function startDaemon(dir: string, index: number, simulatorUrl: string): Promise<Daemon> {
  const variant = VARIANTS[index]!;
  const config = join(dir, `kagami-${index}.yaml`);
  writeFileSync(
    config,
    [
      `data_dir: ${join(dir, `data-${index}`)}`,
      'listen: { host: 127.0.0.1, port: 0 }',
      'providers:',
      `  - { id: sim, type: openai, base_url: "${simulatorUrl}" }`,
      'models:',
      '  - { name: kagami-sim-chat, provider: sim, capabilities: { chat: true } }',
      'redaction: { enabled: false }',
      `audit: ${variant.audit}`,
      '',
    ].join('\n'),
  );
  const created = spawnSync(process.execPath, [KAGAMI, 'keys', 'create', '--tenant', 'bench', '--user', 'bench', '--config', config], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`kagami keys create failed: ${created.stderr}`);
  const child = spawn(process.execPath, [KAGAMI, 'start', '--config', config, '--no-first-key'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [, origin] = await waitForLine(child, /OpenAI base URL:\s+(http:\/\/[^\s/]+)\/v1/);
  return { name: variant.name, child, pool: new Pool(origin as string, { connections: 1 }), key: created.stdout.trim() };
}

async function timedRequest(daemon: Daemon, body: string): Promise<number> {
  const started = performance.now();
  const response = await daemon.pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${daemon.key}` },
    body,
  });
  await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
  if (response.statusCode !== 200) throw new Error(`${daemon.name}: HTTP ${response.statusCode}`);
  return performance.now() - started;
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
};

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-bench-audit-commit-'));
  const simulator = spawn(process.execPath, [KAGAMI, 'mock-upstream', '--port', '0', '--reply', 'Revenue grew eight percent; costs were flat; two hires are planned.'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const daemons: Daemon[] = [];
  try {
    const [, simulatorUrl] = await waitForLine(simulator, /listening on (http:\/\/\S+)/);
    for (let index = 0; index < VARIANTS.length; index++) daemons.push(await startDaemon(dir, index, simulatorUrl as string));
    for (const stream of [false, true]) {
      const body = chatBody(stream);
      for (let i = 0; i < WARMUP; i++) for (const daemon of daemons) await timedRequest(daemon, body);
      const latencies = daemons.map(() => [] as number[]);
      const loadBefore = loadavg()[0] ?? 0;
      for (let i = 0; i < REQUESTS; i++) {
        // Each round starts at another daemon, so no variant is always first after the client's pause.
        for (let j = 0; j < daemons.length; j++) {
          const index = (i + j) % daemons.length;
          latencies[index]!.push(await timedRequest(daemons[index]!, body));
        }
      }
      console.log(`${stream ? 'stream (to the last byte)' : 'json'}: ${REQUESTS} sequential 1 KB chats per daemon, rotated; load average ${loadBefore.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`);
      const reference = latencies[0]!;
      daemons.forEach((daemon, index) => {
        const own = latencies[index]!;
        const paired = own.map((ms, i) => ms - reference[i]!);
        const ms = (q: number) => quantile(own, q).toFixed(3).padStart(7);
        const diff = index === 0 ? '' : `   median paired difference ${(quantile(paired, 0.5) * 1000).toFixed(0).padStart(5)} µs`;
        console.log(`  ${daemon.name.padEnd(38)} p50 ${ms(0.5)}  p90 ${ms(0.9)}  p99 ${ms(0.99)} ms${diff}`);
      });
    }
  } finally {
    for (const daemon of daemons) {
      await daemon.pool.close();
      await stop(daemon.child);
    }
    await stop(simulator);
    rmSync(dir, { recursive: true, force: true });
  }
}
