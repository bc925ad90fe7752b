// Commands that read what a daemon wrote refuse a data dir without kagami.db (exit 1, naming
// the dir) and never create it; only `start` and `keys create` do. And a closed stdout pipe
// (`kagami keys list --json | true`) ends the CLI quietly, not with an EPIPE stack.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../daemon/cli/main.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';

const MAIN = fileURLToPath(new URL('../../../daemon/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('kagami CLI and the data dir', () => {
  let dir: string;
  let missing: string;
  let config: string;
  let out: string;
  let err: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-data-dir-'));
    missing = join(dir, 'nonexistent', 'dir');
    config = join(dir, 'kagami.yaml');
    writeFileSync(config, 'models: []\n');
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const kagami = (...args: string[]) => runCli(args, 'test');

  it.each([
    ['keys', 'list'],
    ['keys', 'list', '--json'],
    ['keys', 'revoke', 'vk_123'],
    ['audit', 'tail'],
    ['audit', 'verify'],
    ['policy', 'status'],
    ['siem', 'status'],
  ])('kagami %s %s refuses a data dir without kagami.db and creates nothing', async (...args) => {
    expect(await kagami(...args, '--config', config, '--data-dir', missing)).toBe(1);
    expect(err).toContain(`no kagami.db in ${missing}`);
    expect(out).toBe('');
    expect(existsSync(join(dir, 'nonexistent'))).toBe(false);
  });

  it('simulate --from refuses a missing path and a directory without kagami.db', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nendpoints:\n  a: { provider: openai, model: gpt-4o-mini }\nrules: []\ndefault: { route_to: a }\n');
    expect(await kagami('simulate', '--policy', policy, '--from', missing)).toBe(1);
    expect(err).toContain(`--from ${missing}: no such file or directory`);
    err = '';
    expect(await kagami('simulate', '--policy', policy, '--from', dir)).toBe(1);
    expect(err).toContain(`no kagami.db in ${dir}`);
  });

  it('keys create creates the data dir and database; list and revoke then work on it', async () => {
    expect(await kagami('keys', 'create', '--tenant', 'acme', '--user', 'ana', '--json', '--config', config, '--data-dir', missing)).toBe(0);
    const created = JSON.parse(out) as { id: string };
    out = '';
    expect(await kagami('keys', 'list', '--json', '--config', config, '--data-dir', missing)).toBe(0);
    expect((JSON.parse(out) as { id: string }[]).map((k) => k.id)).toEqual([created.id]);
    expect(await kagami('keys', 'revoke', created.id, '--config', config, '--data-dir', missing)).toBe(0);
  });

  it('ends quietly when the reader of stdout has gone (EPIPE)', async () => {
    const dataDir = join(dir, 'data');
    const db = openDatabase(dataDir);
    const keys = new KeyStore(db, { refreshMs: 0 });
    for (let i = 0; i < 200; i++) keys.create({ tenant: 'acme', user: `user-${i}`, role: null, models: null });
    db.close();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'keys', 'list', '--json', '--config', config, '--data-dir', dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // `| true`: the reader is gone before kagami writes
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
