import { describe, expect, it } from 'vitest';
import { signBundle, signingInput, verifyBundle } from '../../../../daemon/policy/bundle/bundle.js';
import { generateSigningKey, loadPrivateKey, parseTrustedKeys } from '../../../../daemon/policy/bundle/signing-key.js';

const POLICY = 'version: 7\nrules: []\n';
const now = new Date('2026-11-23T10:00:00Z');

function signer() {
  const pair = generateSigningKey();
  const { key, keyId } = loadPrivateKey(pair.privateKeyPem);
  return { pair, key, keyId };
}

describe('signing keys', () => {
  it('derives the same key id from the private key and from the published public key', () => {
    const { pair, keyId } = signer();
    expect(keyId).toBe(pair.keyId);
    expect([...parseTrustedKeys([{ public_key: pair.publicKey }]).keys()]).toEqual([pair.keyId]);
  });

  it('accepts an SPKI PEM public key and rejects an id that does not match the key', () => {
    const { pair } = signer();
    const other = signer();
    expect(() => parseTrustedKeys([{ id: other.keyId, public_key: pair.publicKey }])).toThrow(/trusted_keys\[0\]\.id/);
    expect(() => parseTrustedKeys([{ public_key: 'AAAA'.repeat(11) }])).toThrow(/trusted_keys\[0\]\.public_key/);
  });
});

describe('verifyBundle', () => {
  const { pair, key, keyId } = signer();
  const trusted = parseTrustedKeys([{ public_key: pair.publicKey, name: 'security-team' }]);
  const bundle = signBundle({ policyText: POLICY, version: 7, privateKey: key, keyId, issuedAt: now });
  const text = JSON.stringify(bundle);

  it('accepts a bundle signed by a trusted key', () => {
    const result = verifyBundle(text, trusted, now);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.signer.name).toBe('security-team');
  });

  it('refuses a bundle signed by a key that is not trusted', () => {
    const stranger = signer();
    const foreign = JSON.stringify(signBundle({ policyText: POLICY, version: 7, privateKey: stranger.key, keyId: stranger.keyId, issuedAt: now }));
    expect(verifyBundle(foreign, trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a trusted key/) });
  });

  it('refuses a bundle whose signature was made by another key under the trusted key id', () => {
    const stranger = signer();
    const forged = JSON.stringify(signBundle({ policyText: POLICY, version: 7, privateKey: stranger.key, keyId, issuedAt: now }));
    expect(verifyBundle(forged, trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not verify/) });
  });

  it('refuses any single altered byte of the policy text', () => {
    for (let i = 0; i < POLICY.length; i++) {
      const altered = POLICY.slice(0, i) + String.fromCharCode(POLICY.charCodeAt(i) ^ 1) + POLICY.slice(i + 1);
      const result = verifyBundle(JSON.stringify({ ...bundle, policy: altered }), trusted, now);
      expect(result.ok, `byte ${i}`).toBe(false);
    }
  });

  it('refuses a header field changed after signing (version bumped by hand)', () => {
    expect(verifyBundle(JSON.stringify({ ...bundle, policy_version: 8 }), trusted, now)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signature does not verify/),
      version: 8,
    });
  });

  it('refuses an expired bundle, and one issued in the future', () => {
    const expiring = JSON.stringify(
      signBundle({ policyText: POLICY, version: 7, privateKey: key, keyId, issuedAt: now, expiresAt: new Date('2026-11-24T00:00:00Z') }),
    );
    expect(verifyBundle(expiring, trusted, now).ok).toBe(true);
    expect(verifyBundle(expiring, trusted, new Date('2026-11-24T00:00:01Z'))).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(verifyBundle(expiring, trusted, new Date('2026-11-25T00:00:00Z'), { ignoreExpiry: true }).ok).toBe(true);
    const future = JSON.stringify(signBundle({ policyText: POLICY, version: 7, privateKey: key, keyId, issuedAt: new Date('2026-11-23T11:00:00Z') }));
    expect(verifyBundle(future, trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/future/) });
  });

  it('refuses text that is not a bundle, naming what is wrong', () => {
    expect(verifyBundle('{"format":', trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid JSON/) });
    expect(verifyBundle(JSON.stringify({ ...bundle, extra: 1 }), trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid/) });
    const { signature: _s, ...unsigned } = bundle;
    expect(verifyBundle(JSON.stringify(unsigned), trusted, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
  });

  it('signs exactly the documented input: a compact JSON array of the header fields', () => {
    expect(signingInput(bundle).toString()).toBe(
      JSON.stringify(['kagami-policy-bundle/v1', keyId, 7, bundle.issued_at, null, bundle.policy_sha256]),
    );
  });
});
