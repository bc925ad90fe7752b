import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signBundle } from '../../../../daemon/policy/bundle/bundle.js';
import { createPolicyApplier } from '../../../../daemon/policy/bundle/policy-applier.js';
import { createPolicyStateStore } from '../../../../daemon/policy/bundle/policy-state-store.js';
import { openDatabase, type SqliteDatabase } from '../../../../daemon/store/db.js';
import { generateSigningKey, loadPrivateKey, parseTrustedKeys } from '../../../../daemon/policy/bundle/signing-key.js';

// The applier is generic over the policy parser; this one accepts `name: <word>` and throws
// like the real loader (file:line: field) otherwise.
function parsePolicy(text: string, source: string): { name: string } {
  const match = /^name: (\w+)\n$/.exec(text);
  if (!match) throw new Error(`${source}:1:1: name: expected "name: <word>"`);
  return { name: match[1]! };
}

const pair = generateSigningKey();
const { key, keyId } = loadPrivateKey(pair.privateKeyPem);
const signers = parseTrustedKeys([{ public_key: pair.publicKey, name: 'sec' }]);
const bundleOf = (version: number, policyText = `name: v${version}\n`) =>
  JSON.stringify(signBundle({ policyText, version, privateKey: key, keyId }));

describe('policy applier', () => {
  let dir: string;
  let db: SqliteDatabase;
  let live: { name: string } | null;
  let events: { kind: string; detail: Record<string, unknown> }[];

  const makeApplier = () =>
    createPolicyApplier({
      signers,
      state: createPolicyStateStore(db),
      parsePolicy,
      onApplied: (policy) => (live = policy),
      recordAdminEvent: (event) => events.push(event),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-applier-'));
    db = openDatabase(dir);
    live = null;
    events = [];
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a valid bundle, records the event and reports status', () => {
    const applier = makeApplier();
    expect(applier.offer(bundleOf(3), 'team.json')).toMatchObject({ outcome: 'applied', applied: { version: 3, signer: 'sec' } });
    expect(live).toEqual({ name: 'v3' });
    expect(events.map((e) => e.kind)).toEqual(['policy_applied']);
    expect(applier.status('folder')).toMatchObject({ applied: { version: 3, key_id: keyId, source: 'team.json' }, last_refused: null });
  });

  it('refuses an older or equal-but-different version, keeps the last good policy and audits the refusal', () => {
    const applier = makeApplier();
    applier.offer(bundleOf(5), 'a.json');
    expect(applier.offer(bundleOf(5), 'a.json')).toEqual({ outcome: 'unchanged' });
    const older = applier.offer(bundleOf(4), 'old.json');
    expect(older).toMatchObject({ outcome: 'refused', refusal: { reason: expect.stringMatching(/rollback refused/), version: 4 } });
    const sameVersionOtherText = applier.offer(bundleOf(5, 'name: other\n'), 'b.json');
    expect(sameVersionOtherText.outcome).toBe('refused');
    expect(live).toEqual({ name: 'v5' });
    expect(events.map((e) => e.kind)).toEqual(['policy_applied', 'policy_refused', 'policy_refused']);
    expect(applier.status(null).last_refused).toMatchObject({ source: 'b.json' });
  });

  it('refuses a signed bundle whose policy does not validate, with the parser message', () => {
    const applier = makeApplier();
    const result = applier.offer(bundleOf(2, 'rules: [\n'), 'bad.json');
    expect(result).toMatchObject({ outcome: 'refused', refusal: { reason: expect.stringMatching(/policy is invalid: bad\.json#policy:1:1: name/) } });
    expect(live).toBeNull();
  });

  it('keeps rollback protection and the applied policy across a restart', () => {
    makeApplier().offer(bundleOf(9), 'team.json');
    live = null;
    const restarted = makeApplier();
    expect(restarted.restore()).toMatchObject({ outcome: 'applied', applied: { version: 9 } });
    expect(live).toEqual({ name: 'v9' });
    expect(restarted.offer(bundleOf(8), 'replayed.json').outcome).toBe('refused');
    expect(restarted.offer(bundleOf(10), 'new.json').outcome).toBe('applied');
  });

  it('re-verifies the persisted bundle at restart, so editing the database does not inject a policy', () => {
    makeApplier().offer(bundleOf(9), 'team.json');
    db.prepare("UPDATE signed_policy_state SET bundle = replace(bundle, 'name: v9', 'name: vX') WHERE slot = 'applied'").run();
    live = null;
    expect(makeApplier().restore()).toMatchObject({ outcome: 'refused' });
    expect(live).toBeNull();
  });
});

describe('policy applier after a failed restore', () => {
  it('accepts the genuine applied bundle again once it is re-delivered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kagami-applier-'));
    const db = openDatabase(dir);
    let live: { name: string } | null = null;
    const make = () =>
      createPolicyApplier({ signers, state: createPolicyStateStore(db), parsePolicy, onApplied: (p) => (live = p), recordAdminEvent: () => undefined });
    const genuine = bundleOf(9);
    make().offer(genuine, 'team.json');
    db.prepare("UPDATE signed_policy_state SET bundle = replace(bundle, 'name: v9', 'name: vX') WHERE slot = 'applied'").run();
    live = null;
    const restarted = make();
    expect(restarted.restore()?.outcome).toBe('refused');
    expect(restarted.offer(genuine, 'team.json').outcome).toBe('applied');
    expect(live).toEqual({ name: 'v9' });
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
