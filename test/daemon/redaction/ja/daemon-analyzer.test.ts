// The real daemon (`node dist/daemon/main.js start`, embedded defaults: the local simulator
// upstream) driven by the official openai SDK: ASCII-only prompts never start the Japanese
// analyzer (the process's resident memory, read from /proc, does not take the dictionary's
// ~130 MB, nor its worker thread), and the first Japanese prompt starts it, once; with
// redaction.japanese_preload the dictionary arrives at start, before any request. Needs the
// build (npm test builds first) and Linux.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../../daemon/mock-upstream/server.js';

const root = join(import.meta.dirname, '../../../..');
const entry = join(root, 'dist/daemon/main.js');
const missing = !existsSync(entry) ? 'dist/ is not built (npm run build)' : process.platform !== 'linux' ? 'needs /proc (Linux)' : null;
if (missing !== null && process.env.CI) throw new Error(`daemon analyzer test cannot run in CI: ${missing}`);

/** The process's OS threads and resident memory (MB), from /proc. */
function processState(pid: number): { threads: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { threads: field('Threads'), rssMb: field('VmRSS') / 1024 };
}

/** `kagami start` (built) in a fresh home; `args` after `start`. Resolves with its OpenAI base URL and first key. */
async function startDaemon(home: string, args: string[]): Promise<{ daemon: ChildProcessWithoutNullStreams; client: OpenAI }> {
  const daemon = spawn(process.execPath, [entry, 'start', '--port', '0', '--data-dir', join(home, 'data'), ...args], {
    cwd: home,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), KAGAMI_CONFIG: '' },
  });
  let banner = '';
  const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
    daemon.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before it was ready: ${banner}`)));
    daemon.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      const found = { url: /OpenAI base URL:\s+(\S+)/.exec(banner)?.[1], key: /(sk-kagami-\S+)/.exec(banner)?.[1] };
      if (found.url !== undefined && found.key !== undefined) resolve({ url: found.url, key: found.key });
    });
  });
  return { daemon, client: new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0 }) };
}

async function stopDaemon(daemon: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (daemon !== undefined && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await once(daemon, 'exit');
  }
}

describe.skipIf(missing !== null)(`kagami start and the Japanese analyzer${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let home: string;
  let daemon: ChildProcessWithoutNullStreams;
  let client: OpenAI;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'kagami-ja-daemon-'));
    ({ daemon, client } = await startDaemon(home, []));
  });

  afterAll(async () => {
    await stopDaemon(daemon);
    rmSync(home, { recursive: true, force: true });
  });

  const ask = (content: string) => client.chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content }] });

  it('answers ASCII prompts without ever starting the worker, then starts it for the first Japanese prompt', async () => {
    await ask('Warm up: the printer on floor 3 is jammed.');
    const idle = processState(daemon.pid!);
    for (let i = 0; i < 10; i++) {
      const reply = await ask(`Ticket ${i}: call John Smith at +1 415 555 0100 about invoice 42.`);
      expect(reply.choices[0]?.message.content).toBeTypeOf('string');
    }
    // No dictionary (~130 MB) and no worker thread. (A thread pool a background task starts
    // would add threads, so memory is the primary signal and threads only the secondary one.)
    const ascii = processState(daemon.pid!);
    expect(ascii.rssMb - idle.rssMb).toBeLessThan(50);

    await ask('担当の山田太郎さんに東京都渋谷区恵比寿１丁目１８－１へ書類を送ってもらってください。');
    const withAnalyzer = processState(daemon.pid!);
    expect(withAnalyzer.rssMb - ascii.rssMb).toBeGreaterThan(80);
    expect(withAnalyzer.threads).toBeGreaterThan(ascii.threads);
    // Loaded once: more Japanese prompts reuse the same worker and dictionary.
    await Promise.all([ask('佐藤花子様へのお礼状を書いて。'), ask('鈴木一郎氏の経歴をまとめて。')]);
    const after = processState(daemon.pid!);
    expect(after.rssMb - withAnalyzer.rssMb).toBeLessThan(50);
  });
});

describe.skipIf(missing !== null)(`kagami start with redaction.japanese_preload${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let home: string;
  let upstream: MockUpstream;
  let daemon: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'kagami-ja-preload-'));
    upstream = await startMockUpstream({ echo: true, toolCalls: false });
  });

  afterAll(async () => {
    await stopDaemon(daemon);
    await upstream.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('loads the dictionary in its worker at start, before any request, and answers the first Japanese prompt with it', async () => {
    const config = join(home, 'kagami.yaml');
    writeFileSync(config, [
      'providers:',
      `  - { id: sim, type: openai, base_url: "${upstream.url}" }`,
      'models:',
      '  - { name: chat, provider: sim, model: upstream-chat }',
      'redaction:',
      '  japanese_preload: true',
      '',
    ].join('\n'));
    const started = await startDaemon(home, ['--config', config]);
    daemon = started.daemon;
    const atStart = processState(daemon.pid!);
    // No request is made: the worker thread and the dictionary (~130 MB) arrive on their own.
    let state = atStart;
    for (const deadline = Date.now() + 30_000; state.rssMb - atStart.rssMb < 80 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = processState(daemon.pid!);
    }
    expect(state.rssMb - atStart.rssMb).toBeGreaterThan(80); // (its worker thread started with the engine, before the banner)
    expect(upstream.stats.requests).toBe(0);

    const reply = await started.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: '佐藤花子様へのお礼状を書いて。' }] });
    expect(reply.choices[0]?.message.content).toBe('佐藤花子様へのお礼状を書いて。'); // restored from the placeholder
    expect(upstream.stats.recent.at(-1)?.body).toMatchObject({ messages: [{ content: '<PERSON_1>様へのお礼状を書いて。' }] });
    // The preloaded dictionary is the one used: no second load.
    expect(processState(daemon.pid!).rssMb - state.rssMb).toBeLessThan(50);
  });
});
