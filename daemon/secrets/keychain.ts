// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
// through @napi-rs/keyring. Every entry Kagami owns lives under the service "kagami"; the
// account is the name a config `{ keychain: ACCOUNT }` ref uses (the desktop app writes
// `provider:<id>`). Calls are synchronous (the daemon reads secrets once, at config load).
// Values are returned to the caller only by readKeychainSecret; listing shows a fingerprint
// and the last 4 characters, never the value.
import { createHash } from 'node:crypto';
import { Entry, findCredentials } from '@napi-rs/keyring';

export const KEYCHAIN_SERVICE = 'kagami';

/**
 * Account prefixes of entries Kagami keeps for itself (private keys, not user secrets). Named
 * here, in one place, so listings leave them out: an audit checkpoint or policy signing key
 * is never shown next to provider keys.
 */
export const INTERNAL_ACCOUNT_PREFIXES = {
  auditCheckpoint: 'audit-checkpoint:',
  policySigning: 'policy-signing:',
} as const;

/** True for an entry Kagami keeps for itself (see INTERNAL_ACCOUNT_PREFIXES). */
export function isInternalAccount(account: string): boolean {
  return Object.values(INTERNAL_ACCOUNT_PREFIXES).some((prefix) => account.startsWith(prefix));
}

// On Linux, insist on the Secret Service (gnome-keyring, KWallet): without it the library
// silently falls back to the kernel keyring, which forgets everything at logout, so a key the
// user stored would vanish. A clear "keychain unavailable" error is better.
const ENTRY_OPTIONS = { linux: { store: 'secret-service' } } as const;
const entry = (account: string): Entry => new Entry(KEYCHAIN_SERVICE, account, ENTRY_OPTIONS);

/** The keychain could not be reached (no Secret Service running, locked, denied). */
export class KeychainUnavailableError extends Error {
  constructor(action: string, cause: unknown) {
    super(`OS keychain unavailable (${action}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'KeychainUnavailableError';
  }
}

export interface KeychainAccount {
  readonly account: string;
  /** First 12 hex chars of the value's SHA-256, to tell two values apart without showing them. */
  readonly fingerprint: string;
  /** Last 4 characters of the value, control characters as "?"; empty for a PEM key (its tail is boilerplate). */
  readonly last4: string;
}

function withKeychain<T>(action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new KeychainUnavailableError(action, error);
  }
}

function checkAccount(account: string): void {
  if (account.length === 0 || account.length > 256) throw new RangeError('keychain account must be 1-256 characters');
}

/** The stored value, or null when there is no entry for the account. */
export function readKeychainSecret(account: string): string | null {
  checkAccount(account);
  return withKeychain(`read ${account}`, () => entry(account).getPassword());
}

/** Creates or replaces the entry. */
export function writeKeychainSecret(account: string, value: string): void {
  checkAccount(account);
  if (value.length === 0) throw new RangeError('refusing to store an empty secret');
  withKeychain(`write ${account}`, () => entry(account).setPassword(value));
}

/** Removes the entry; false when there was none. */
export function deleteKeychainSecret(account: string): boolean {
  checkAccount(account);
  return withKeychain(`delete ${account}`, () => entry(account).deleteCredential());
}

/** An item deleted by another process between the search and the read of the enumeration. */
const VANISHED_ITEM = /Object does not exist at path|No such interface .* on object at path/;
const LIST_ATTEMPTS = 20;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** What a listing shows of a value's end: never a PEM's `-----\n`, never a raw control character. */
export function describeLast4(value: string): string {
  if (value.includes('-----BEGIN ')) return '';
  return value.slice(-4).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * Every user account under the "kagami" service (Kagami's own keys left out), with a
 * fingerprint and last 4 characters.
 */
export function listKeychainAccounts(): KeychainAccount[] {
  const credentials = withKeychain('list', () => {
    // Listing searches, then reads each item: another process (the desktop app, a CLI) deleting
    // an entry in between makes the read fail. That is no outage; search again.
    for (let attempt = 1; ; attempt++) {
      try {
        return findCredentials(KEYCHAIN_SERVICE);
      } catch (error) {
        if (attempt >= LIST_ATTEMPTS || !VANISHED_ITEM.test((error as Error).message)) throw error;
        Atomics.wait(PAUSE, 0, 0, attempt * 2); // a short pause lets the other writer finish
      }
    }
  });
  return credentials
    .filter(({ account }) => !isInternalAccount(account))
    .map(({ account, password }) => ({
      account,
      fingerprint: createHash('sha256').update(password).digest('hex').slice(0, 12),
      last4: describeLast4(password),
    }))
    .sort((a, b) => a.account.localeCompare(b.account));
}
