import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAdminToken, resolveDaemonLocation } from '../../src-main/daemon-location.js';

describe('resolveDaemonLocation', () => {
  it('uses the daemon defaults: 127.0.0.1:8765, $XDG_DATA_HOME/kagami, system node', () => {
    const loc = resolveDaemonLocation('/app', { XDG_DATA_HOME: '/data' });
    expect(loc).toEqual({ url: 'http://127.0.0.1:8765', dataDir: '/data/kagami', command: 'node', args: ['/app/dist/daemon/main.js', 'start'] });
    expect(resolveDaemonLocation('/app', {}).dataDir).toBe(join(homedir(), '.local', 'share', 'kagami'));
  });

  it('takes overrides from the environment', () => {
    const loc = resolveDaemonLocation('/app', { KAGAMI_URL: 'http://127.0.0.1:9000', KAGAMI_DATA_DIR: '/d', KAGAMI_CONFIG: '/c.yaml', KAGAMI_NODE: '/usr/bin/node22' });
    expect(loc).toEqual({ url: 'http://127.0.0.1:9000', dataDir: '/d', command: '/usr/bin/node22', args: ['/app/dist/daemon/main.js', 'start', '--config', '/c.yaml'] });
  });
});

describe('readAdminToken', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the token the daemon wrote, or null before it exists', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-token-'));
    expect(await readAdminToken(dir)).toBeNull();
    writeFileSync(join(dir, 'admin-token'), 'kagami-admin-abc\n', { mode: 0o600 });
    expect(await readAdminToken(dir)).toBe('kagami-admin-abc');
  });
});
