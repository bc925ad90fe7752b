// Provider API keys in the OS keychain (macOS Keychain, Windows Credential Manager, Secret
// Service on Linux) through @napi-rs/keyring. Entries are service "kagami", account
// "provider:<id>": the daemon resolves `api_key: { keychain: provider:<id> }` from the same
// entry, so a key never passes through a file, an argument or a log. What leaves this module
// towards the renderer is a fingerprint and the last four characters, never the key.

import { createHash } from 'node:crypto';
import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';
import type { ProviderKeyInfo } from '../shared/schemas/provider-keys.js';

export const KEYCHAIN_SERVICE = 'kagami';
const ACCOUNT_PREFIX = 'provider:';
// As the daemon's daemon/secrets/keychain.ts: on Linux insist on the Secret Service rather than
// silently falling back to the kernel keyring (which forgets at logout and which the daemon,
// reading the Secret Service, would not see).
const ENTRY_OPTIONS = { linux: { store: 'secret-service' } } as const;

export function providerAccount(provider: string): string {
  return `${ACCOUNT_PREFIX}${provider}`;
}

/** SHA-256 prefix + last 4: enough to tell keys apart, useless to an attacker. */
export function describeKey(provider: string, key: string): ProviderKeyInfo {
  return {
    provider,
    account: providerAccount(provider),
    fingerprint: createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12),
    last4: key.slice(-4),
  };
}

/**
 * A Secret Service listing finds the items, then reads each: an item deleted in between (by the
 * daemon's admin API, the CLI) fails the whole listing. That is no outage: list again.
 */
async function findCredentialsSettled(service: string): Promise<Awaited<ReturnType<typeof findCredentialsAsync>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await findCredentialsAsync(service);
    } catch (error) {
      if (attempt >= 5 || !/does not exist|no such (object|item)/i.test(String((error as Error).message))) throw error;
    }
  }
}

export interface ProviderKeyStore {
  list(): Promise<ProviderKeyInfo[]>;
  set(provider: string, key: string): Promise<ProviderKeyInfo>;
  delete(provider: string): Promise<boolean>;
}

export function createProviderKeyStore(service: string = KEYCHAIN_SERVICE): ProviderKeyStore {
  return {
    async list() {
      const credentials = await findCredentialsSettled(service);
      return credentials
        .filter((c) => c.account.startsWith(ACCOUNT_PREFIX))
        .map((c) => describeKey(c.account.slice(ACCOUNT_PREFIX.length), c.password))
        .sort((a, b) => a.provider.localeCompare(b.provider));
    },
    async set(provider, key) {
      const trimmed = key.trim();
      await new AsyncEntry(service, providerAccount(provider), ENTRY_OPTIONS).setPassword(trimmed);
      return describeKey(provider, trimmed);
    },
    async delete(provider) {
      return new AsyncEntry(service, providerAccount(provider), ENTRY_OPTIONS).deletePassword();
    },
  };
}
