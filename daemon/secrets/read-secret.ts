// Resolving a config SecretRef (`{ env: NAME }` or `{ keychain: ACCOUNT }`) to its value.
// Secrets are read once at config load and live only in memory (ResolvedProvider.secrets):
// never in process arguments, logs, SQLite or error messages (which name the ref, not the value).
import type { SecretRef } from '../../shared/schemas/config.js';
import { readKeychainSecret } from './keychain.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The secret's value, or null when the variable is unset/empty or the keychain has no entry.
 * Throws KeychainUnavailableError when the keychain cannot be reached. */
export function readSecret(ref: SecretRef, env: Env = process.env): string | null {
  if ('env' in ref) {
    const value = env[ref.env];
    return value === undefined || value === '' ? null : value;
  }
  return readKeychainSecret(ref.keychain);
}

/** How to name a ref in messages: `environment variable OPENAI_API_KEY`, `keychain account "provider:openai"`. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `keychain account "${ref.keychain}" (service "kagami")`;
}

/** True for a value shaped exactly like a SecretRef (used to find refs inside provider options). */
export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const key = keys[0];
  return (key === 'env' || key === 'keychain') && typeof (value as Record<string, unknown>)[key] === 'string';
}
