// Durability of the audit trail against the real daemon process (`kagami start`, run from the
// TypeScript sources with tsx), under a load of thousands of requests through the official
// openai SDK, stopped once 1500 requests got their 200:
// - `audit.commit: before_response`, SIGKILL: restarted on the same data dir, it must show
//   every answered request exactly once in the trail, a database SQLite finds intact, a chain
//   `kagami audit verify` accepts, and a SIEM sink (a local webhook receiver) that ends up with
//   every row, duplicates allowed, nothing missing.
// - the default `after_response`, SIGTERM (a normal stop, with requests in flight), with the
//   commit on the event loop and in the writer's worker thread: the daemon exits 0 and every
//   answered request, those answered while it stopped included, has its row exactly once, in a
//   chain verify accepts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../../daemon/store/sqlite-driver.js';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { SiemStatus } from '../../../shared/schemas/siem.js';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { HttpReceiver } from '../siem/http-receiver.js';
import { forgetCheckpointKey } from './trail-db.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'daemon/main.ts');
const TOTAL = 4000;
const KILL_AFTER = 1500;
const CONCURRENCY = 32;

interface Daemon {
  readonly child: ChildProcess;
  readonly url: string;
}

describe('the audit trail when the daemon is killed or stopped under load', () => {
  let dir: string | null = null;
  let upstream: MockUpstream | null = null;
  let receiver: HttpReceiver | null = null;
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver?.close();
    await upstream?.close();
    if (dir) {
      forgetCheckpointKey(join(dir, 'data'));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const kagami = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: process.env });

  async function startDaemon(configFile: string): Promise<Daemon> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--config', configFile, '--port', '0', '--no-first-key'], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /OpenAI base URL:\s+(\S+)\/v1/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before listening:\n${output}`)));
    });
    return { child, url };
  }

  /** A data dir, a config (with `extra` lines) and a virtual key. */
  async function setUp(extra: string[]): Promise<{ dataDir: string; configFile: string; apiKey: string }> {
    dir = mkdtempSync(join(tmpdir(), 'kagami-sigkill-'));
    const dataDir = join(dir, 'data');
    upstream = await startMockUpstream({ keepRecent: 0 });
    const configFile = join(dir, 'kagami.yaml');
    writeFileSync(configFile, [
      `data_dir: "${dataDir}"`,
      'providers:',
      `  - { id: sim, type: openai, base_url: "${upstream.url}" }`,
      'models:',
      '  - { name: chat, provider: sim, model: kagami-sim-chat }',
      ...extra,
      '',
    ].join('\n'));
    const store = openDatabase(dataDir);
    const keys = new KeyStore(store, { refreshMs: 0 });
    const apiKey = keys.create({ tenant: 'acme', user: 'load' }).key;
    keys.close();
    store.close();
    return { dataDir, configFile, apiKey };
  }

  /** Loads the daemon from 32 clients and sends it `signal` once 1500 got a 200; the trace ids of every 200. */
  async function loadUntilStopped(daemon: Daemon, apiKey: string, signal: NodeJS.Signals): Promise<string[]> {
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
    const answered: string[] = [];
    let sent = 0;
    let stopped = false;
    const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
    const worker = async () => {
      while (!stopped && sent < TOTAL) {
        sent += 1;
        try {
          const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `request ${sent}` }] }).withResponse();
          if (response.status === 200) answered.push(response.headers.get('x-kagami-trace-id')!);
        } catch {
          // in flight when the daemon died (or refused once stopping): no answer, so no promise about its row
        }
        if (!stopped && answered.length >= KILL_AFTER) {
          stopped = true;
          daemon.child.kill(signal);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(stopped).toBe(true);
    await exited;
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER);
    return answered;
  }

  /** Every answered trace id has exactly one row; the file is intact; `kagami audit verify` passes. */
  function expectEveryAnswerAudited(dataDir: string, configFile: string, answered: readonly string[]): void {
    const db = new Database(join(dataDir, 'kagami.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const counts = new Map((db.prepare('SELECT trace_id, COUNT(*) AS n FROM audit_requests GROUP BY trace_id').all() as { trace_id: string; n: number }[]).map((row) => [row.trace_id, row.n]));
      const missing = answered.filter((traceId) => counts.get(traceId) !== 1);
      expect(missing).toEqual([]);
    } finally {
      db.close();
    }
    // The chain verifies (the real CLI, its own process).
    const verify = kagami('audit', 'verify', '--config', configFile);
    expect(verify.stdout).toMatch(/^audit trail intact: \d+ rows/);
    expect(verify.status).toBe(0);
  }

  it('with commit: before_response, a SIGKILL loses no answered request, keeps the chain intact and delivers every row', async () => {
    receiver = await HttpReceiver.start();
    const { dataDir, configFile, apiKey } = await setUp([
      'audit: { commit: before_response, checkpoint_every_rows: 500 }',
      'siem:',
      '  sinks:',
      `    - { type: webhook, id: hook, url: "${receiver.url}/ingest", batch_size: 200 }`,
    ]);
    const first = await startDaemon(configFile);
    const answered = await loadUntilStopped(first, apiKey, 'SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    // Restart on the same data dir: the trail must be whole before anything else happens.
    const second = await startDaemon(configFile);
    expectEveryAnswerAudited(dataDir, configFile, answered);

    // The restarted daemon resumes delivery from its stored cursor until the sink has it all.
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const deadline = Date.now() + 20_000;
    let status: SiemStatus;
    for (;;) {
      status = (await (await fetch(`${second.url}/admin/siem/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as SiemStatus;
      if (status.sinks[0]!.lag === 0) break;
      if (Date.now() > deadline) throw new Error(`the sink never caught up: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seqs = new Set(
      receiver.requests
        .filter((request) => request.status === 200)
        .flatMap((request) => request.body.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)),
    );
    const notDelivered = Array.from({ length: status.head }, (_, i) => i + 1).filter((seq) => !seqs.has(seq));
    expect(notDelivered).toEqual([]);
  }, 60_000);

  it.each(['event_loop', 'worker_thread'])('with the default commit: after_response (writer: %s), a SIGTERM under load writes the row of every answered request', async (writer) => {
    const { dataDir, configFile, apiKey } = await setUp([`audit: { writer: ${writer}, checkpoint_every_rows: 500 }`]);
    const daemon = await startDaemon(configFile);
    const answered = await loadUntilStopped(daemon, apiKey, 'SIGTERM');
    expect(daemon.child.exitCode).toBe(0);
    expectEveryAnswerAudited(dataDir, configFile, answered);
  }, 60_000);
});
