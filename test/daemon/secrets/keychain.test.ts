// Runs against the real OS keychain (gnome-keyring's Secret Service under dbus-run-session in
// CI). Without a reachable Secret Service it skips with the reason, except in CI where it fails.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { parseConfig } from '../../../daemon/config/load-config.js';
import {
  deleteKeychainSecret,
  KeychainUnavailableError,
  listKeychainAccounts,
  readKeychainSecret,
  writeKeychainSecret,
} from '../../../daemon/secrets/keychain.js';
import { readSecret } from '../../../daemon/secrets/read-secret.js';

function probeKeychain(): string | null {
  try {
    readKeychainSecret('kagami-test-probe');
    return null;
  } catch (error) {
    return error instanceof KeychainUnavailableError ? error.message : String(error);
  }
}
const unavailable = probeKeychain();

function requireKeychain(ctx: TestContext): void {
  if (unavailable === null) return;
  if (process.env.CI) throw new Error(`CI must provide a Secret Service (run under dbus-run-session with gnome-keyring unlocked): ${unavailable}`);
  ctx.skip(`no Secret Service reachable (${unavailable}); run under dbus-run-session with an unlocked gnome-keyring`);
}

describe('OS keychain secrets', () => {
  const account = `test:${randomBytes(6).toString('hex')}`;
  afterEach(() => {
    if (unavailable === null) deleteKeychainSecret(account);
  });

  it('writes, reads, lists (fingerprint + last 4 only) and deletes an entry', (ctx) => {
    requireKeychain(ctx);
    expect(readKeychainSecret(account)).toBeNull();
    writeKeychainSecret(account, 'sk-live-abcdef123456');
    expect(readKeychainSecret(account)).toBe('sk-live-abcdef123456');
    writeKeychainSecret(account, 'sk-live-replaced9876');
    expect(readKeychainSecret(account)).toBe('sk-live-replaced9876');
    const listed = listKeychainAccounts().find((entry) => entry.account === account);
    expect(listed).toEqual({ account, fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/), last4: '9876' });
    expect(JSON.stringify(listKeychainAccounts())).not.toContain('sk-live-replaced9876');
    expect(deleteKeychainSecret(account)).toBe(true);
    expect(readKeychainSecret(account)).toBeNull();
  });

  it('lists while another process keeps creating and deleting entries', async (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, 'sk-live-stays-put-0001');
    // A second process churns entries of its own, as the desktop app or a CLI would.
    const churn = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Entry } from '@napi-rs/keyring';
         const opts = { linux: { store: 'secret-service' } };
         process.stdout.write('ready\\n');
         for (let i = 0; ; i++) { const e = new Entry('kagami', 'test:churn-' + (i % 5), opts); e.setPassword('v' + i); e.deleteCredential(); }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(churn.stdout!, 'data');
      for (let i = 0; i < 50; i++) {
        expect(listKeychainAccounts().find((entry) => entry.account === account)?.last4).toBe('0001');
      }
    } finally {
      churn.kill();
      await once(churn, 'exit');
      for (let i = 0; i < 5; i++) deleteKeychainSecret(`test:churn-${i}`);
    }
  });

  it('resolves a config { keychain: ACCOUNT } ref into provider.secrets', (ctx) => {
    requireKeychain(ctx);
    writeKeychainSecret(account, 'sk-from-keychain-42');
    const config = parseConfig(
      `providers:\n  - id: openai\n    type: openai\n    api_key: { keychain: "${account}" }\n`,
      'kagami.yaml',
      { env: {} },
    );
    expect(config.providers[0]?.secrets).toEqual({ api_key: 'sk-from-keychain-42' });
  });

  it('fails the load naming the account when the entry is missing', (ctx) => {
    requireKeychain(ctx);
    expect(() =>
      parseConfig(`providers:\n  - id: openai\n    type: openai\n    api_key: { keychain: "${account}" }\n`, 'kagami.yaml', { env: {} }),
    ).toThrow(`kagami.yaml:4:14: providers[0].api_key: provider "openai": keychain account "${account}" (service "kagami") has no entry`);
  });
});

describe('readSecret from the environment', () => {
  it('returns the variable, and null when it is unset or empty', () => {
    expect(readSecret({ env: 'KEY' }, { KEY: 'v1' })).toBe('v1');
    expect(readSecret({ env: 'KEY' }, {})).toBeNull();
    expect(readSecret({ env: 'KEY' }, { KEY: '' })).toBeNull();
  });
});
