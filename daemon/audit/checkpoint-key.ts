// The Ed25519 key that signs audit checkpoints. It lives in the OS keychain (service "kagami",
// account "audit-checkpoint:<data dir id>") so a copy of the data dir alone cannot forge
// checkpoints. When no keychain is reachable (a headless server without a Secret Service), it
// falls back to <data_dir>/audit-checkpoint.key, mode 0600, and says so: that protects against
// a rewritten database but not against someone who can read the data dir. The public key is
// also written to <data_dir>/audit-checkpoint.pub so a SIEM or auditor can verify shipped
// checkpoints.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INTERNAL_ACCOUNT_PREFIXES, KeychainUnavailableError, readKeychainSecret, writeKeychainSecret } from '../secrets/keychain.js';
import type { CheckpointKey } from './checkpoints.js';

/**
 * The keychain account of a data dir's key: one key per data dir, so two daemons with their own
 * data dirs (the desktop app's and a terminal's, or tests running side by side) never overwrite
 * each other's key when both start for the first time.
 */
export function checkpointKeyAccount(dataDir: string): string {
  let path = resolve(dataDir);
  try {
    path = realpathSync(path);
  } catch {
    // not created yet: the resolved path names it
  }
  return `${INTERNAL_ACCOUNT_PREFIXES.auditCheckpoint}${createHash('sha256').update(path).digest('hex').slice(0, 16)}`;
}
export const CHECKPOINT_KEY_FILE = 'audit-checkpoint.key';
export const CHECKPOINT_PUBLIC_KEY_FILE = 'audit-checkpoint.pub';

/** Where the key is kept; the keychain by default, swappable in tests. */
export interface KeyBackend {
  read(account: string): string | null;
  write(account: string, value: string): void;
}

export const osKeychain: KeyBackend = { read: readKeychainSecret, write: writeKeychainSecret };

export interface LoadedCheckpointKey extends CheckpointKey {
  readonly source: 'keychain' | 'file';
}

export interface LoadCheckpointKeyOptions {
  readonly dataDir: string;
  readonly keychain?: KeyBackend;
  /** Generate a key when there is none (the daemon); the CLI only reads. */
  readonly create: boolean;
}

/** The checkpoint key, or null when there is none and `create` is false. */
export function loadCheckpointKey(options: LoadCheckpointKeyOptions): LoadedCheckpointKey | null {
  const keychain = options.keychain ?? osKeychain;
  const file = join(options.dataDir, CHECKPOINT_KEY_FILE);
  const account = checkpointKeyAccount(options.dataDir);
  let keychainReachable = true;
  try {
    const pem = keychain.read(account);
    if (pem !== null) return finish(pem, 'keychain', options.dataDir);
  } catch (error) {
    if (!(error instanceof KeychainUnavailableError)) throw error;
    keychainReachable = false;
  }
  const filePem = readIfExists(file);
  if (filePem !== null) return finish(filePem, 'file', options.dataDir);
  if (!options.create) return null;

  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  if (keychainReachable) {
    try {
      keychain.write(account, pem);
      return finish(pem, 'keychain', options.dataDir);
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error;
    }
  }
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return finish(pem, 'file', options.dataDir);
}

/** Reads an SPKI PEM public key (for `kagami audit verify --public-key FILE`). */
export function readPublicKeyFile(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read the public key file ${path}: ${(cause as Error).message}`, { cause });
  }
  const expected = `expected a PEM "-----BEGIN PUBLIC KEY-----" such as <data_dir>/${CHECKPOINT_PUBLIC_KEY_FILE}`;
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (cause) {
    throw new Error(`${path} is not an Ed25519 public key (${expected})`, { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 public key (${expected})`);
  return key;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

function finish(pem: string, source: 'keychain' | 'file', dataDir: string): LoadedCheckpointKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('audit checkpoint key must be Ed25519');
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const publicFile = join(dataDir, CHECKPOINT_PUBLIC_KEY_FILE);
  if (readIfExists(publicFile) !== publicPem) {
    try {
      writeFileSync(publicFile, publicPem, { mode: 0o644 });
    } catch {
      // Read-only data dir (the CLI verifying a copy): the .pub file is informational only.
    }
  }
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), source };
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
