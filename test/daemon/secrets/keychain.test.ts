// Runs against the real OS keychain (gnome-keyring's Secret Service under dbus-run-session in
// CI). Without a reachable Secret Service it skips with the reason, except in CI where it fails.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
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
import { startPrivateKeyring } from '../../support/private-keyring.js';

const KEYCHAIN_MODULE = fileURLToPath(new URL('../../../daemon/secrets/keychain.ts', import.meta.url));
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
    // Under this load gnome-keyring 42 itself sometimes aborts (GLib-ERROR in g_variant_new after
    // "gkd_secret_service_get_pkcs11_session: assertion 'client' failed"), so the scenario runs on
    // a keyring of its own, and a run whose keyring daemon died is run again on a fresh one.
    for (let attempt = 1; ; attempt++) {
      const keyring = await startPrivateKeyring();
      try {
        const seen = await listUnderChurn(keyring.env);
        const death = keyring.death();
        if (death !== null && attempt < KEYRING_ATTEMPTS) {
          console.warn(`keychain churn test: ${death}; running again on a fresh keyring`);
          continue;
        }
        expect(death).toBeNull();
        // Every listing succeeded and showed the entry that stayed put, untouched by the churn.
        expect(seen).toEqual(Array.from({ length: LISTINGS }, () => '0001'));
        return;
      } finally {
        await keyring.stop();
      }
    }
  }, 60_000);

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

const LISTINGS = 20;
const KEYRING_ATTEMPTS = 3;

/**
 * One process creates and deletes entries as fast as it can (as the desktop app or a CLI would,
 * only harder) while another lists LISTINGS times through listKeychainAccounts. Returns what each
 * listing showed of the entry that stays put: its last 4, or the listing's error message.
 */
async function listUnderChurn(env: NodeJS.ProcessEnv): Promise<string[]> {
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
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await once(churn.stdout!, 'data');
    const lister = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { listKeychainAccounts, writeKeychainSecret } from ${JSON.stringify(KEYCHAIN_MODULE)};
         writeKeychainSecret('test:stays-put', 'sk-live-stays-put-0001');
         const seen = [];
         for (let i = 0; i < ${LISTINGS}; i++) {
           try { seen.push(listKeychainAccounts().find((entry) => entry.account === 'test:stays-put')?.last4 ?? 'missing'); }
           catch (error) { seen.push(error.message); }
         }
         process.stdout.write(JSON.stringify(seen));`,
      ],
      { env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    lister.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const [code] = (await once(lister, 'exit')) as [number | null];
    expect(code).toBe(0);
    return JSON.parse(out) as string[];
  } finally {
    if (churn.exitCode === null && churn.signalCode === null) {
      churn.kill();
      await once(churn, 'exit');
    }
  }
}

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
