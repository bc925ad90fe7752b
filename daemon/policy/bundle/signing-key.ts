// Ed25519 keys for signing team policy: generation, key ids, and reading the public keys a
// daemon trusts. A key id is the first 16 hex digits of SHA-256 over the 32 raw public-key
// bytes, so anyone holding the public key can derive it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TrustedKey } from '../../../shared/schemas/policy-bundle.js';

// SPKI DER of an Ed25519 key = this 12-byte prefix + the 32 raw bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKeyPair {
  readonly keyId: string;
  readonly privateKeyPem: string;
  /** base64 of the 32 raw public-key bytes: what goes into `policy.trusted_keys`. */
  readonly publicKey: string;
}

export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    keyId: keyIdOf(raw),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: raw.toString('base64'),
  };
}

export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function loadPrivateKey(pem: string): { key: KeyObject; keyId: string } {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`signing key must be Ed25519, not ${key.asymmetricKeyType}`);
  return { key, keyId: keyIdOf(rawPublicKey(createPublicKey(key))) };
}

export interface TrustedSigner {
  readonly keyId: string;
  readonly name: string | null;
  readonly key: KeyObject;
}

/** Parses `policy.trusted_keys`; throws naming the entry (index) that is wrong. */
export function parseTrustedKeys(entries: readonly TrustedKey[]): Map<string, TrustedSigner> {
  const signers = new Map<string, TrustedSigner>();
  entries.forEach((entry, index) => {
    const where = `policy.trusted_keys[${index}]`;
    let key: KeyObject;
    try {
      key = entry.public_key.includes('-----BEGIN')
        ? createPublicKey(entry.public_key)
        : createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, decodeRaw(entry.public_key)]), format: 'der', type: 'spki' });
    } catch (error) {
      throw new Error(`${where}.public_key: not an Ed25519 public key (${(error as Error).message})`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${where}.public_key: must be Ed25519, not ${key.asymmetricKeyType}`);
    const keyId = keyIdOf(rawPublicKey(key));
    if (entry.id !== undefined && entry.id !== keyId) {
      throw new Error(`${where}.id: ${entry.id} does not match the public key (its id is ${keyId})`);
    }
    signers.set(keyId, { keyId, name: entry.name ?? null, key });
  });
  return signers;
}

function decodeRaw(base64: string): Buffer {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32) throw new Error(`expected 32 bytes, got ${raw.length}`);
  return raw;
}
