// The `kagami` bin as users run it: real processes against the built dist/ (`npm run build`
// first; `npm test` does). Kept to a few end-to-end paths; units are tested beside their code.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../../daemon/store/sqlite-driver.js';
import OpenAI from 'openai';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { MockUpstream } from '../../../daemon/mock-upstream/server.js';

const BIN = fileURLToPath(new URL('../../../bin/kagami.js', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../../dist/daemon/main.js', import.meta.url));

describe('kagami CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  let upstream: MockUpstream | null = null;

  beforeAll(() => {
    if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-cli-'));
    // Isolated from the user's real config and data: no ./kagami.yaml, XDG dirs in the temp dir.
    env = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await upstream?.close();
    upstream = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const kagami = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8' });
  /** Like kagami() but with the session bus (keychain) and optional stdin. */
  const kagamiWithBus = (argv: string[], input = '') => {
    const busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS };
    return spawnSync(process.execPath, [BIN, ...argv], { cwd: dir, env: busEnv, encoding: 'utf8', input });
  };

  /** Starts `kagami start` and resolves once it printed its base URL. */
  async function startDaemon(...args: string[]): Promise<{ child: ChildProcess; baseUrl: string; output: () => string }> {
    const child = spawn(process.execPath, [BIN, 'start', '--port', '0', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const baseUrl = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', () => {
        const match = /OpenAI base URL:\s+(\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`kagami start exited with ${code}:\n${output}`)));
    });
    return { child, baseUrl, output: () => output };
  }

  const exited = (child: ChildProcess): Promise<number | null> =>
    child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  it('prints help, and refuses unknown commands and bad flags with usage and exit code 2', () => {
    const help = kagami('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/start\s+start the gateway/);
    expect(help.stdout).toMatch(/keys\s+create, list and revoke virtual keys/);
    expect(help.stdout).toMatch(/mock-upstream\s+/);

    const unknown = kagami('strat');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "strat"');

    const missing = kagami('keys', 'create', '--user', 'ana');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('kagami keys: missing --tenant');
    expect(missing.stderr).toContain('Usage:');

    const badFlag = kagami('keys', 'list', '--colour');
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--colour'/);
  });

  it('creates a key for a model the config does not expose, with a warning naming it', () => {
    const created = kagami('keys', 'create', '--tenant', 'acme', '--user', 'ana', '--models', 'kagami-sim-chat,gpt-5-typo');
    expect(created.status).toBe(0);
    expect(created.stdout.trim()).toMatch(/^sk-kagami-/);
    expect(created.stderr).toContain("warning: not in the current config's models: gpt-5-typo (known: kagami-sim-chat, kagami-sim-embed");
  });

  it('stores a provider key from stdin in the OS keychain, lists it masked, and the config resolves it', async (ctx) => {
    const probe = kagamiWithBus(['secrets', 'list']);
    if (probe.status !== 0) {
      if (process.env.CI) throw new Error(`CI must provide a Secret Service: ${probe.stderr}`);
      ctx.skip(`no Secret Service reachable (${probe.stderr.trim()}); run under dbus-run-session with an unlocked gnome-keyring`);
    }
    const account = `test-cli:${process.pid}`;
    try {
      const set = kagamiWithBus(['secrets', 'set', account], 'sk-cli-secret-7788\n');
      expect(set.status).toBe(0);
      const listed = kagamiWithBus(['secrets', 'list']);
      expect(listed.stdout).toMatch(new RegExp(`${account}\\s+sha256:[0-9a-f]{12}\\s+…7788`));
      expect(listed.stdout).not.toContain('sk-cli-secret');
      // A port already taken: the config loads (secret found), so start gets as far as binding and fails there.
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as AddressInfo;
      try {
        writeFileSync(join(dir, 'kagami.yaml'), `providers:\n  - { id: p, type: openai, api_key: { keychain: "${account}" } }\nlisten: { port: ${port} }\n`);
        const start = kagamiWithBus(['start', '--no-first-key']);
        expect(start.status).not.toBe(78);
        expect(start.stderr).toContain(`127.0.0.1:${port} is already in use`);
      } finally {
        taken.close();
      }
    } finally {
      expect(kagamiWithBus(['secrets', 'delete', account]).status).toBe(0);
    }
    expect(kagamiWithBus(['secrets', 'delete', account]).status).toBe(1);
  });

  it('exits 78 naming file, line and field for an invalid config', () => {
    writeFileSync(join(dir, 'kagami.yaml'), 'listen:\n  port: 8765\nproviders:\n  - id: x\n    type: openai\n    base_url: nope\n');
    const result = kagami('start');
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('kagami.yaml:6:15: providers[0].base_url: must be a URL (http:// or https://)');
  });

  it('creates a key that authenticates against a running daemon, and a revoke takes effect within a second', async () => {
    const created = kagami('keys', 'create', '--tenant', 'acme', '--user', 'ana', '--models', 'kagami-sim-chat');
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk-kagami-[0-9A-Za-z]{40}$/);
    expect(created.stderr).toContain('it will not be shown again');

    const listed = kagami('keys', 'list', '--json');
    const [info] = JSON.parse(listed.stdout) as { id: string; tenant: string; prefix: string }[];
    expect(info).toMatchObject({ tenant: 'acme', prefix: `${key.slice(0, 16)}…` });
    expect(listed.stdout).not.toContain(key);

    const { child, baseUrl } = await startDaemon('--no-first-key');
    const client = new OpenAI({ baseURL: baseUrl, apiKey: key, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content: 'Hello' }] });
    expect(reply.choices[0]?.message.content).toContain('Kagami simulator');
    await expect(client.embeddings.create({ model: 'kagami-sim-embed', input: 'x' })).rejects.toMatchObject({ status: 403 });

    expect(kagami('keys', 'revoke', info!.id).status).toBe(0);
    await vi.waitFor(
      async () => {
        await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
      },
      { timeout: 2000, interval: 100 },
    );
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('keeps the provider key, the virtual key and the prompt out of its arguments, its output and SQLite', async () => {
    const providerKey = 'sk-upstream-never-leak-5150';
    const prompt = 'My private prompt mentions project NIGHTJAR-4471';
    upstream = await startMockUpstream({ apiKey: providerKey });
    writeFileSync(
      join(dir, 'kagami.yaml'),
      ['providers:', `  - { id: up, type: openai, base_url: "${upstream.url}", api_key: { env: UP_KEY } }`, 'models:', '  - { name: m, provider: up }', ''].join('\n'),
    );
    env = { ...env, UP_KEY: providerKey };
    const { child, baseUrl, output } = await startDaemon();
    const key = /(sk-kagami-[0-9A-Za-z]+)/.exec(output())?.[1];
    const client = new OpenAI({ baseURL: baseUrl, apiKey: key!, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: prompt }] });
    expect(reply.choices[0]?.message.content).toBeTruthy();
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: prompt }], stream: true }).then(async (s) => {
      for await (const _chunk of s) void _chunk;
    });
    // A wrong key too: its 401 must not echo what was presented.
    const stranger = new OpenAI({ baseURL: baseUrl, apiKey: 'sk-kagami-WRONGWRONGWRONG', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401 });

    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(upstream.stats.completed).toBe(2); // the upstream did get the key

    expect(cmdline).not.toContain(providerKey);
    expect(output()).not.toContain(providerKey);
    expect(output()).not.toContain('WRONGWRONGWRONG');
    expect(output()).not.toContain('NIGHTJAR');
    const dataDir = join(dir, 'data', 'kagami');
    const files = readdirSync(dataDir).filter((name) => name.startsWith('kagami.db'));
    expect(files).toContain('kagami.db');
    for (const name of files) {
      const bytes = readFileSync(join(dataDir, name)).toString('latin1');
      expect(bytes, name).not.toContain(providerKey);
      expect(bytes, name).not.toContain(key!);
      expect(bytes, name).not.toContain('NIGHTJAR');
    }
  });

  it('on first start creates and prints a key; SIGTERM drains an in-flight stream and keeps its audit row', async () => {
    upstream = await startMockUpstream({ chunkCount: 20, chunkSize: 4, chunkDelayMs: 25 });
    writeFileSync(
      join(dir, 'kagami.yaml'),
      ['providers:', `  - { id: sim, type: openai, base_url: "${upstream.url}" }`, 'models:', '  - { name: slow, provider: sim }', ''].join('\n'),
    );
    const { child, baseUrl, output } = await startDaemon();
    const key = /First start: created a virtual key[\s\S]*?(sk-kagami-[0-9A-Za-z]+)/.exec(output())?.[1];
    expect(key).toBeDefined();
    expect(output()).toMatch(/Admin token:\s+kagami-admin-/);
    // The admin token: generated at first start, owner-only file in an owner-only directory.
    const dataDir = join(dir, 'data', 'kagami');
    const tokenFile = join(dataDir, 'admin-token');
    expect(output()).toContain(readFileSync(tokenFile, 'utf8').trim());
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    const client = new OpenAI({ baseURL: baseUrl, apiKey: key!, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    let signalled = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (!signalled && text.length > 0) {
        signalled = true;
        child.kill('SIGTERM');
      }
    }
    expect(text).toHaveLength(80);
    expect(await exited(child)).toBe(0);
    expect(output()).toContain('kagami: stopped');

    const db = new Database(join(dir, 'data', 'kagami', 'kagami.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT requested_model, status, stream FROM audit_requests').all()).toEqual([{ requested_model: 'slow', status: 200, stream: 1 }]);
    } finally {
      db.close();
    }
  });
});
