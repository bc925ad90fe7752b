// Where the checkpoint signing key lives: the OS keychain, one entry per data dir (so two
// daemons starting side by side never overwrite each other's key), or a 0600 file in the data
// dir when no keychain is reachable. (The real gnome-keyring path runs in the daemon tests under CI.)
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointKeyAccount, loadCheckpointKey, type KeyBackend } from '../../../daemon/audit/checkpoint-key.js';
import { KeychainUnavailableError } from '../../../daemon/secrets/keychain.js';

class MemoryKeychain implements KeyBackend {
  readonly entries = new Map<string, string>();
  read = (account: string) => this.entries.get(account) ?? null;
  write = (account: string, value: string) => void this.entries.set(account, value);
}

const unreachable: KeyBackend = {
  read: () => { throw new KeychainUnavailableError('read', new Error('no Secret Service')); },
  write: () => { throw new KeychainUnavailableError('write', new Error('no Secret Service')); },
};

describe('loadCheckpointKey', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'kagami-ckey-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates one key per data dir in the keychain and reads the same one back', () => {
    const keychain = new MemoryKeychain();
    const a = loadCheckpointKey({ dataDir: join(root, 'a'), keychain, create: true })!;
    const b = loadCheckpointKey({ dataDir: join(root, 'b'), keychain, create: true })!;
    expect(a.source).toBe('keychain');
    expect(a.keyId).not.toBe(b.keyId);
    expect([...keychain.entries.keys()].sort()).toEqual([checkpointKeyAccount(join(root, 'a')), checkpointKeyAccount(join(root, 'b'))].sort());
    expect(checkpointKeyAccount(join(root, 'a'))).toMatch(/^audit-checkpoint:[0-9a-f]{16}$/);
    expect(loadCheckpointKey({ dataDir: join(root, 'a', '.'), keychain, create: false })!.keyId).toBe(a.keyId);
  });

  it('falls back to a 0600 file in the data dir without a keychain, and the CLI only reads', () => {
    const dataDir = join(root, 'c');
    expect(loadCheckpointKey({ dataDir, keychain: unreachable, create: false })).toBeNull();
    mkdirSync(dataDir);
    const key = loadCheckpointKey({ dataDir, keychain: unreachable, create: true })!;
    expect(key.source).toBe('file');
    expect(statSync(join(dataDir, 'audit-checkpoint.key')).mode & 0o777).toBe(0o600);
    expect(loadCheckpointKey({ dataDir, keychain: unreachable, create: false })!.keyId).toBe(key.keyId);
  });
});
