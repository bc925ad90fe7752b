// `kagami admin keygen` and `kagami policy sign` as an admin uses them: a key pair, a signed
// bundle that a daemon's verifier accepts with the printed trusted_keys entry, and the
// keychain-held variant against the real OS keychain (skipped with a reason without one,
// failing in CI).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type TestContext } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { command as admin } from '../../../daemon/cli/admin.js';
import { runPolicySign } from '../../../daemon/cli/policy-sign.js';
import { verifyBundle } from '../../../daemon/policy/bundle/bundle.js';
import { parseTrustedKeys } from '../../../daemon/policy/bundle/signing-key.js';
import { deleteKeychainSecret, readKeychainSecret } from '../../../daemon/secrets/keychain.js';
import { requireKeychain } from '../../support/keychain.js';

const POLICY = `version: 12
endpoints:
  cloud: { provider: openai, model: gpt-4o-mini }
default:
  route_to: cloud
`;

function captureStdout(): { text: () => string; restore: () => void } {
  let out = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { text: () => out, restore: () => (stdout.mockRestore(), stderr.mockRestore()) };
}

describe('kagami admin keygen + kagami policy sign', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kagami-sign-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a key file (0600, never overwritten) and signs a bundle the printed trusted key verifies', async () => {
    const keyFile = join(dir, 'signing.pem');
    const out = captureStdout();
    try {
      expect(await admin.run(['keygen', '--out', keyFile, '--name', 'security team'])).toBe(0);
    } finally {
      out.restore();
    }
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const trusted = (parseYaml(out.text()) as { policy: { trusted_keys: { id: string; public_key: string; name: string }[] } }).policy.trusted_keys;
    expect(trusted[0]?.name).toBe('security team');
    await expect(admin.run(['keygen', '--out', keyFile])).rejects.toThrow(/EEXIST/);

    const policyFile = join(dir, 'team.yaml');
    writeFileSync(policyFile, POLICY);
    const quiet = captureStdout();
    try {
      expect(await runPolicySign([policyFile, '--key-file', keyFile, '--expires', '30d'])).toBe(0);
    } finally {
      quiet.restore();
    }
    const bundleText = readFileSync(join(dir, 'team.bundle.json'), 'utf8');
    const verified = verifyBundle(bundleText, parseTrustedKeys(trusted), new Date());
    expect(verified).toMatchObject({ ok: true, bundle: { policy_version: 12, policy: POLICY, key_id: trusted[0]!.id } });
  });

  it('refuses to sign a policy that does not validate, naming file and line', async () => {
    const keyFile = join(dir, 'signing.pem');
    const quiet = captureStdout();
    try {
      await admin.run(['keygen', '--out', keyFile]);
      const policyFile = join(dir, 'broken.yaml');
      writeFileSync(policyFile, POLICY.replace('route_to: cloud', 'route_to: nowhere'));
      await expect(runPolicySign([policyFile, '--key-file', keyFile])).rejects.toThrow(/broken\.yaml:5:\d+: default/);
      await expect(runPolicySign([policyFile])).rejects.toThrow(/exactly one of --key-file or --key-id/);
      const goodPolicy = join(dir, 'good.yaml');
      writeFileSync(goodPolicy, POLICY);
      // A key file that is no private key: the file is named, not only OpenSSL's decoder error.
      await expect(runPolicySign([goodPolicy, '--key-file', goodPolicy])).rejects.toThrow(/good\.yaml: not an Ed25519 private key/);
    } finally {
      quiet.restore();
    }
  });

  it('keeps the private key in the OS keychain and signs with --key-id', async (ctx: TestContext) => {
    requireKeychain(ctx);
    const out = captureStdout();
    let keyId = '';
    try {
      expect(await admin.run(['keygen'])).toBe(0);
      keyId = /id: ([0-9a-f]{16})/.exec(out.text())![1]!;
      expect(readKeychainSecret(`policy-signing:${keyId}`)).toMatch(/BEGIN PRIVATE KEY/);
      const policyFile = join(dir, 'team.yaml');
      writeFileSync(policyFile, POLICY);
      expect(await runPolicySign([policyFile, '--key-id', keyId, '--out', join(dir, 'out.json')])).toBe(0);
    } finally {
      out.restore();
      if (keyId) deleteKeychainSecret(`policy-signing:${keyId}`);
    }
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toMatchObject({ key_id: keyId, policy_version: 12 });
  });
});
