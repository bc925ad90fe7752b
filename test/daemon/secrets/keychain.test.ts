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
  describeLast4,
  INTERNAL_ACCOUNT_PREFIXES,
  isInternalAccount,
  listKeychainAccounts,
  readKeychainSecret,
  writeKeychainSecret,
} from '../../../daemon/secrets/keychain.js';
import { readSecret } from '../../../daemon/secrets/read-secret.js';
import { keychainProblem, requireKeychain as requireKeychainIn } from '../../support/keychain.js';

const unavailable = keychainProblem();
const requireKeychain = (ctx: TestContext): void => requireKeychainIn(ctx, unavailable);

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
      for (let i = 0; i < 20; i++) {
        expect(listKeychainAccounts().find((entry) => entry.account === account)?.last4).toBe('0001');
      }
    } finally {
      churn.kill();
      await once(churn, 'exit');
      for (let i = 0; i < 5; i++) deleteKeychainSecret(`test:churn-${i}`);
    }
  }, 60_000); // listing a keyring holding many entries takes a while under churn

  it('lists only user secrets: Kagami\'s own keys are left out, a PEM shows no tail, control characters are replaced', (ctx) => {
    requireKeychain(ctx);
    const suffix = randomBytes(6).toString('hex');
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAbc\n-----END PRIVATE KEY-----\n';
    const internal = [`${INTERNAL_ACCOUNT_PREFIXES.auditCheckpoint}${suffix}`, `${INTERNAL_ACCOUNT_PREFIXES.policySigning}${suffix}`];
    const userPem = `test:pem-${suffix}`;
    try {
      for (const name of internal) writeKeychainSecret(name, pem);
      writeKeychainSecret(userPem, pem);
      writeKeychainSecret(account, 'sk-live-ab\u001b[2J');
      const listed = listKeychainAccounts();
      expect(listed.map((entry) => entry.account)).not.toEqual(expect.arrayContaining([internal[0]]));
      expect(listed.map((entry) => entry.account)).not.toEqual(expect.arrayContaining([internal[1]]));
      expect(listed.filter((entry) => isInternalAccount(entry.account))).toEqual([]);
      expect(listed.find((entry) => entry.account === userPem)?.last4).toBe('');
      expect(listed.find((entry) => entry.account === account)?.last4).toBe('?[2J');
    } finally {
      for (const name of [...internal, userPem]) deleteKeychainSecret(name);
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

describe('describeLast4', () => {
  it('shows the last 4 characters, control characters as "?", and nothing of a PEM', () => {
    expect(describeLast4('sk-live-abcd1234')).toBe('1234');
    expect(describeLast4('abc\n')).toBe('abc?');
    expect(describeLast4('x\u0007\u009b\t')).toBe('x???');
    expect(describeLast4('-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n')).toBe('');
  });
});

describe('readSecret from the environment', () => {
  it('returns the variable, and null when it is unset or empty', () => {
    expect(readSecret({ env: 'KEY' }, { KEY: 'v1' })).toBe('v1');
    expect(readSecret({ env: 'KEY' }, {})).toBeNull();
    expect(readSecret({ env: 'KEY' }, { KEY: '' })).toBeNull();
  });
});
