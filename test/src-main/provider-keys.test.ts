// Against a real Secret Service (gnome-keyring). Run inside a D-Bus session with an unlocked
// keyring (as .ci/run does):
//   dbus-run-session -- bash -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx vitest run test/src-main'
import { randomUUID } from 'node:crypto';
import { Entry, findCredentials } from '@napi-rs/keyring';
import { afterEach, describe, expect, it } from 'vitest';
import { listKeychainAccounts, readKeychainSecret } from '../../daemon/secrets/keychain.js';
import { createProviderKeyStore, describeKey, providerAccount } from '../../src-main/provider-keys.js';

function keyringUnavailable(): string | null {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS && process.platform === 'linux') return 'no D-Bus session (run under dbus-run-session with gnome-keyring unlocked)';
  try {
    const probe = new Entry(`kagami-probe-${randomUUID()}`, 'probe');
    probe.setPassword('probe');
    probe.deletePassword();
    return null;
  } catch (error) {
    return `no usable Secret Service: ${(error as Error).message}`;
  }
}

const unavailable = keyringUnavailable();
if (unavailable && process.env.CI) throw new Error(`keychain tests need a keyring in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)(`provider keys in the OS keychain${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  // A throwaway service per run, so a developer's real "kagami" entries are never touched.
  const service = `kagami-test-${randomUUID()}`;
  const store = createProviderKeyStore(service);
  afterEach(() => {
    for (const c of findCredentials(service)) new Entry(service, c.account).deletePassword();
  });

  it('stores a key under provider:<id> where the daemon reads it, and returns only fingerprint + last 4', async () => {
    const key = 'sk-proj-EXAMPLE0123456789abcdefWXYZ';
    const info = await store.set('openai', key);
    expect(info).toEqual({ provider: 'openai', account: 'provider:openai', fingerprint: describeKey('openai', key).fingerprint, last4: 'WXYZ' });
    expect(JSON.stringify(info)).not.toContain(key.slice(0, -4));
    // The very entry core-base's readSecret({ keychain: 'provider:openai' }) opens.
    expect(new Entry(service, providerAccount('openai')).getPassword()).toBe(key);
  });

  it('lists stored keys without their values', async () => {
    await store.set('openai', 'sk-openai-1111111111111111AAAA');
    await store.set('anthropic', 'sk-ant-22222222222222222BBBB');
    const list = await store.list();
    expect(list.map((k) => [k.provider, k.last4])).toEqual([
      ['anthropic', 'BBBB'],
      ['openai', 'AAAA'],
    ]);
    expect(JSON.stringify(list)).not.toMatch(/1111|2222/);
  });

  it('replaces a key in place (new fingerprint) and deletes it', async () => {
    const first = await store.set('openai', 'sk-first-key-000000000001');
    const second = await store.set('openai', 'sk-second-key-00000000002');
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(new Entry(service, 'provider:openai').getPassword()).toBe('sk-second-key-00000000002');
    expect((await store.list()).length).toBe(1);

    expect(await store.delete('openai')).toBe(true);
    expect(await store.list()).toEqual([]);
    expect(new Entry(service, 'provider:openai').getPassword()).toBeNull();
    expect(await store.delete('openai')).toBe(false);
  });

  it('writes the very entry the daemon reads (service "kagami"), with the same fingerprint', async () => {
    // The real service, under a provider id no one uses, removed again.
    const desktop = createProviderKeyStore();
    const provider = `test-${randomUUID().slice(0, 8)}`;
    const key = `sk-shared-${randomUUID()}`;
    try {
      const info = await desktop.set(provider, key);
      expect(readKeychainSecret(providerAccount(provider))).toBe(key);
      // The listing is not atomic: another test file deleting its entry meanwhile fails it once.
      const list = (): ReturnType<typeof listKeychainAccounts> => {
        try {
          return listKeychainAccounts();
        } catch {
          return listKeychainAccounts();
        }
      };
      const daemonView = list().find((a) => a.account === providerAccount(provider));
      expect(daemonView).toEqual({ account: info.account, fingerprint: info.fingerprint, last4: info.last4 });
    } finally {
      await desktop.delete(provider);
    }
    expect(readKeychainSecret(providerAccount(provider))).toBeNull();
  });

  it('trims whitespace pasted around a key', async () => {
    const info = await store.set('openai', '  sk-pasted-with-newline-9876\n');
    expect(info.last4).toBe('9876');
    expect(new Entry(service, 'provider:openai').getPassword()).toBe('sk-pasted-with-newline-9876');
  });
});

describe('describeKey', () => {
  it('fingerprints with a SHA-256 prefix that differs per key', () => {
    const a = describeKey('x', 'sk-aaaaaaaaaaaa');
    const b = describeKey('x', 'sk-aaaaaaaaaaab');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});
