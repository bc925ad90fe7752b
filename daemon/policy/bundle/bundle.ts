// Signing and verifying team-policy bundles (format in the README, "Signed team policies").
// The signature covers a header that names the SHA-256 of the policy text, so one signature
// check plus one hash check covers every byte of the bundle that matters.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { BUNDLE_FORMAT, PolicyBundle, type BundleHeader } from '../../../shared/schemas/policy-bundle.js';
import type { TrustedSigner } from './signing-key.js';

const checkBundle = Compile(PolicyBundle);

/** The exact bytes that are signed: the header fields as a compact JSON array, in this order. */
export function signingInput(header: BundleHeader): Buffer {
  return Buffer.from(
    JSON.stringify([header.format, header.key_id, header.policy_version, header.issued_at, header.expires_at, header.policy_sha256]),
    'utf8',
  );
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface SignOptions {
  readonly policyText: string;
  readonly version: number;
  readonly privateKey: KeyObject;
  readonly keyId: string;
  readonly issuedAt?: Date;
  readonly expiresAt?: Date | null;
}

export function signBundle(options: SignOptions): PolicyBundle {
  if (!Number.isInteger(options.version) || options.version < 1) {
    throw new Error(`policy version must be a whole number ≥ 1, got ${options.version}`);
  }
  const header: BundleHeader = {
    format: BUNDLE_FORMAT,
    key_id: options.keyId,
    policy_version: options.version,
    issued_at: (options.issuedAt ?? new Date()).toISOString(),
    expires_at: options.expiresAt ? options.expiresAt.toISOString() : null,
    policy_sha256: sha256Hex(options.policyText),
  };
  const signature = sign(null, signingInput(header), options.privateKey).toString('base64');
  return { ...header, policy: options.policyText, signature };
}

export type VerifyResult =
  | { readonly ok: true; readonly bundle: PolicyBundle; readonly signer: TrustedSigner }
  | { readonly ok: false; readonly reason: string; readonly version: number | null; readonly keyId: string | null };

/** Clock skew tolerated for bundles issued "in the future". */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Checks a bundle's form, signer, signature, policy hash and dates. Version ordering and the
 * policy's own validity are the applier's job (they need state and the policy parser).
 * `ignoreExpiry` is for re-checking the bundle that was already applied (at restart): expiry
 * bounds when a bundle may first be applied, and the daemon keeps its last good policy.
 */
export function verifyBundle(
  text: string,
  signers: ReadonlyMap<string, TrustedSigner>,
  now: Date,
  options: { ignoreExpiry?: boolean } = {},
): VerifyResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return refuse(`not a policy bundle: invalid JSON (${(error as Error).message})`, null, null);
  }
  const version = typeof (value as { policy_version?: unknown })?.policy_version === 'number' ? (value as { policy_version: number }).policy_version : null;
  const keyId = typeof (value as { key_id?: unknown })?.key_id === 'string' ? (value as { key_id: string }).key_id : null;
  if (!checkBundle.Check(value)) {
    const first = [...checkBundle.Errors(value)][0];
    const field = first ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)' : '(root)';
    return refuse(`not a valid ${BUNDLE_FORMAT} bundle: ${field}: ${first?.message ?? 'invalid'}`, version, keyId);
  }
  const bundle = value;
  const signer = signers.get(bundle.key_id);
  if (!signer) return refuse(`signed by key ${bundle.key_id}, which is not a trusted key`, version, keyId);
  if (!verify(null, signingInput(bundle), signer.key, Buffer.from(bundle.signature, 'base64'))) {
    return refuse(`signature does not verify with trusted key ${bundle.key_id}`, version, keyId);
  }
  if (sha256Hex(bundle.policy) !== bundle.policy_sha256) {
    return refuse('policy text does not match the signed SHA-256 (altered after signing)', version, keyId);
  }
  const issued = Date.parse(bundle.issued_at);
  if (!Number.isFinite(issued)) return refuse(`issued_at is not a date: ${bundle.issued_at}`, version, keyId);
  if (issued - now.getTime() > MAX_CLOCK_SKEW_MS) return refuse(`issued in the future (${bundle.issued_at})`, version, keyId);
  if (bundle.expires_at !== null && options.ignoreExpiry !== true) {
    const expires = Date.parse(bundle.expires_at);
    if (!Number.isFinite(expires)) return refuse(`expires_at is not a date: ${bundle.expires_at}`, version, keyId);
    if (expires <= now.getTime()) return refuse(`expired at ${bundle.expires_at}`, version, keyId);
  }
  return { ok: true, bundle, signer };
}

function refuse(reason: string, version: number | null, keyId: string | null): VerifyResult {
  return { ok: false, reason, version, keyId };
}
