import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signBundle } from '../../../../daemon/policy/bundle/bundle.js';
import { createLocalRulesMerger } from '../../../../daemon/policy/bundle/local-rules.js';
import { generateSigningKey, loadPrivateKey } from '../../../../daemon/policy/bundle/signing-key.js';
import { createTeamPolicy } from '../../../../daemon/policy/bundle/team-policy.js';
import { createPolicyHolder } from '../../../../daemon/policy/policy-holder.js';
import { openDatabase, type SqliteDatabase } from '../../../../daemon/store/db.js';

const teamPolicy = (version: number, extra = '') => `version: ${version}
endpoints:
  onprem: { provider: vllm, model: llama, on_prem: true }
  cloud: { provider: openai, model: gpt-4o-mini }
  cheap: { provider: openai, model: gpt-4.1-nano }
data_classes:
  pii-restricted: { entities: [JP_NAME, EMAIL], on_prem_only: true }
rules:
  - name: block-interns
    when: { role: intern }
    deny: interns may not use the gateway
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: onprem
  - name: team-default-route
    when: { tenant: acme }
    route_to: cloud
default:
  route_to: cloud
${extra}`;

const pair = generateSigningKey();
const { key, keyId } = loadPrivateKey(pair.privateKeyPem);
const sign = (text: string, version: number) => JSON.stringify(signBundle({ policyText: text, version, privateKey: key, keyId }));

describe('team policy from a watched folder of signed bundles', () => {
  let dir: string;
  let db: SqliteDatabase;
  const events: { kind: string; detail: Record<string, unknown> }[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-team-'));
    db = openDatabase(join(dir, 'data'));
    events.length = 0;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (local?: string) => {
    const holder = createPolicyHolder();
    const team = createTeamPolicy({
      config: { trusted_keys: [{ public_key: pair.publicKey, name: 'secteam' }], source: { dir: join(dir, 'bundles'), rescan_s: 3600 }, ...(local ? { local_rules: local } : {}) },
      db,
      holder,
      recordAdminEvent: (event) => events.push(event),
      mergeLocalRules: local ? createLocalRulesMerger(local) : null,
    });
    return { holder, team };
  };

  it('applies the newest valid bundle, then refuses an older one and a bundle whose text disagrees with its signed version', async () => {
    const bundles = join(dir, 'bundles');
    rmSync(bundles, { recursive: true, force: true });
    mkdirSync(bundles);
    writeFileSync(join(bundles, 'v2.json'), sign(teamPolicy(2), 2));
    const { holder, team } = make();
    await team.start();
    expect(holder.current()?.version).toBe(2);
    expect(team.status()).toMatchObject({ applied: { version: 2, signer: 'secteam' }, signed: true, source: bundles });

    writeFileSync(join(bundles, 'v1.json'), sign(teamPolicy(1), 1));
    writeFileSync(join(bundles, 'mismatch.json'), sign(teamPolicy(3), 4));
    await team.check();
    expect(holder.current()?.version).toBe(2);
    const reasons = events.filter((e) => e.kind === 'policy_refused').map((e) => e.detail.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/not newer than the applied version 2/), expect.stringMatching(/signed as version 4 but the policy says version 3/)]),
    );
    await team.close();
  });

  it('refuses a signed bundle with invalid policy YAML and names file, line and field', async () => {
    const bundles = join(dir, 'bundles');
    mkdirSync(bundles);
    writeFileSync(join(bundles, 'bad.json'), sign(teamPolicy(5).replace('route_to: onprem', 'route_to: nowhere'), 5));
    const { holder, team } = make();
    await team.start();
    expect(holder.current()).toBeNull();
    expect(team.status().last_refused?.reason).toMatch(/bad\.json#policy:\d+:\d+: rules\[1\]/);
    await team.close();
  });

  it('merges local rules only where allowed, after team guards and before other team rules', async () => {
    const bundles = join(dir, 'bundles');
    mkdirSync(bundles);
    const allowing = teamPolicy(6, 'local_overrides:\n  allowed: [rules]\n  endpoints: [cheap, cloud]\n');
    writeFileSync(join(bundles, 'v6.json'), sign(allowing, 6));
    const local = join(dir, 'mine.yaml');
    writeFileSync(local, 'rules:\n  - name: my-cheap\n    when: { user: alice }\n    route_to: cheap\n');
    const { holder, team } = make(local);
    await team.start();
    expect(holder.current()?.rules.map((r) => r.name)).toEqual(['block-interns', 'pii-on-prem', 'local:my-cheap', 'team-default-route']);

    // An edit of the local rules file applies while the daemon runs (the folder is watched).
    const swapped = new Promise<void>((resolve) => holder.onChange(() => resolve()));
    writeFileSync(local, 'rules:\n  - name: my-cloud\n    when: { user: bob }\n    route_to: cloud\n');
    await swapped;
    expect(holder.current()?.rules.map((r) => r.name)).toEqual(['block-interns', 'pii-on-prem', 'local:my-cloud', 'team-default-route']);
    expect(holder.current()?.version).toBe(6);
    await team.close();
  });

  it('drops local rules the team policy does not allow, keeping the team policy live', async () => {
    const bundles = join(dir, 'bundles');
    mkdirSync(bundles);
    writeFileSync(join(bundles, 'v7.json'), sign(teamPolicy(7, 'local_overrides:\n  allowed: [limits]\n'), 7));
    const local = join(dir, 'mine.yaml');
    writeFileSync(local, 'rules:\n  - name: sneaky\n    when: { user: alice }\n    route_to: onprem\n');
    const { holder, team } = make(local);
    await team.start();
    expect(holder.current()?.rules.map((r) => r.name)).toEqual(['block-interns', 'pii-on-prem', 'team-default-route']);
    const refusal = events.find((e) => e.kind === 'local_rules_refused');
    expect(refusal?.detail.reason).toMatch(/mine\.yaml:1:1: rules: the team policy \(version 7\) does not allow local rules/);
    await team.close();
  });
});

describe('unsigned local policy file', () => {
  it('hot-reloads edits and keeps the last good policy when an edit is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kagami-local-'));
    const db = openDatabase(join(dir, 'data'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, teamPolicy(1));
    const holder = createPolicyHolder();
    const events: string[] = [];
    const team = createTeamPolicy({ config: { file, trusted_keys: [] }, db, holder, recordAdminEvent: (e) => events.push(e.kind) });
    await team.start();
    expect(holder.current()?.version).toBe(1);
    writeFileSync(file, teamPolicy(2));
    await team.check();
    expect(holder.current()?.version).toBe(2);
    writeFileSync(file, 'version: 3\nendpoints: [\n');
    await team.check();
    expect(holder.current()?.version).toBe(2);
    expect(team.status()).toMatchObject({ signed: false, last_refused: { reason: expect.stringMatching(/policy\.yaml:\d+:\d+/) } });
    expect(events).toEqual(['policy_applied', 'policy_applied', 'policy_refused']);
    await team.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start, with the file named, when the policy file is missing or invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kagami-local-'));
    const db = openDatabase(join(dir, 'data'));
    const file = join(dir, 'policy.yaml');
    const start = () => createTeamPolicy({ config: { file, trusted_keys: [] }, db, holder: createPolicyHolder(), recordAdminEvent: () => undefined }).start();
    await expect(start()).rejects.toThrow(/policy\.file: cannot read .*policy\.yaml/);
    writeFileSync(file, 'version: 1\nrules: [\n');
    await expect(start()).rejects.toMatchObject({ name: 'PolicyError', message: expect.stringMatching(/policy\.yaml:\d+:\d+/) });
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
