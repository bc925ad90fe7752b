// Signed team policies in the running daemon (`startDaemon`, the same code as `kagami start`):
// bundles dropped into the watched folder are applied or refused; every refusal is an
// administrative audit event and the status route shows it, while the daemon keeps serving on
// the last good policy; and a stream of reloads under steady traffic fails no request.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../../daemon/store/sqlite-driver.js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatus } from '../../../../shared/schemas/policy-bundle.js';
import { startDaemon, type RunningDaemon } from '../../../../daemon/cli/start.js';
import { startMockUpstream, type MockUpstream } from '../../../../daemon/mock-upstream/server.js';
import { signBundle } from '../../../../daemon/policy/bundle/bundle.js';
import { generateSigningKey, loadPrivateKey } from '../../../../daemon/policy/bundle/signing-key.js';
import { openDatabase } from '../../../../daemon/store/db.js';
import { KeyStore } from '../../../../daemon/store/keys-store.js';
import { forgetCheckpointKey } from '../../audit/trail-db.js';

type Status = PolicyStatus & { source_error: string | null; signed: boolean };

/** A team policy sending everything to endpoint `ea` (provider alpha) or `eb` (provider beta). */
const policyText = (version: number, endpoint: 'ea' | 'eb') => `version: ${version}
endpoints:
  ea: { provider: alpha, model: kagami-sim-chat }
  eb: { provider: beta, model: kagami-sim-chat }
rules:
  - name: route-${endpoint}
    when: { tenant: acme }
    route_to: ${endpoint}
default:
  route_to: ${endpoint}
`;

const team = generateSigningKey();
const teamKey = loadPrivateKey(team.privateKeyPem);
const stranger = loadPrivateKey(generateSigningKey().privateKeyPem);

const bundle = (version: number, endpoint: 'ea' | 'eb', options: { signer?: typeof teamKey; expiresAt?: Date; text?: string } = {}) => {
  const signer = options.signer ?? teamKey;
  return signBundle({
    policyText: options.text ?? policyText(version, endpoint),
    version,
    privateKey: signer.key,
    keyId: signer.keyId,
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
  });
};

describe('signed team policies in the running daemon', () => {
  let dir: string;
  let bundles: string;
  let alpha: MockUpstream;
  let beta: MockUpstream;
  let daemon: RunningDaemon;
  let client: OpenAI;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-team-daemon-'));
    bundles = join(dir, 'bundles');
    mkdirSync(bundles);
    alpha = await startMockUpstream({ latencyMs: 5 });
    beta = await startMockUpstream({ latencyMs: 5 });
    writeFileSync(join(bundles, 'v1.json'), JSON.stringify(bundle(1, 'ea')));
    const configFile = join(dir, 'kagami.yaml');
    writeFileSync(
      configFile,
      [
        'providers:',
        `  - { id: alpha, type: openai, base_url: "${alpha.url}" }`,
        `  - { id: beta, type: openai, base_url: "${beta.url}" }`,
        'models:',
        '  - { name: team-chat, provider: alpha, model: kagami-sim-chat }',
        'policy:',
        '  trusted_keys:',
        `    - { name: secteam, public_key: "${team.publicKey}" }`,
        `  source: { dir: "${bundles}", rescan_s: 3600 }`,
        '',
      ].join('\n'),
    );
    const store = openDatabase(join(dir, 'data'));
    const keys = new KeyStore(store);
    const { key } = keys.create({ tenant: 'acme', user: 'dev' });
    keys.close();
    store.close();
    daemon = await startDaemon({ configFile, overrides: { port: 0, data_dir: join(dir, 'data') }, createFirstKey: false });
    client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: key, maxRetries: 0 });
  });

  afterAll(async () => {
    await daemon?.close();
    await alpha?.close();
    await beta?.close();
    forgetCheckpointKey(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (): Promise<Status> => {
    const response = await fetch(`${daemon.url}/admin/policy/status`, { headers: { authorization: `Bearer ${daemon.adminToken}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as Status;
  };

  /** Polls the status route until `accept` holds (the folder watch applies asynchronously). */
  const waitForStatus = async (accept: (s: Status) => boolean): Promise<Status> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const current = await status();
      if (accept(current)) return current;
      if (Date.now() > deadline) throw new Error(`policy status never matched: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const chat = async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'team-chat', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    return { provider: response.headers.get('x-kagami-provider'), content: data.choices[0]?.message.content };
  };

  const adminEvents = (type: string): Record<string, unknown>[] => {
    const db = new Database(join(dir, 'data', 'kagami.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT details FROM audit_admin_events WHERE type = ? ORDER BY seq').all(type) as { details: string }[];
      return rows.map((row) => JSON.parse(row.details) as Record<string, unknown>);
    } finally {
      db.close();
    }
  };

  it('applies the signed bundle found at start and routes by it', async () => {
    const current = await status();
    expect(current).toMatchObject({ signed: true, source: bundles, applied: { version: 1, signer: 'secteam', key_id: teamKey.keyId } });
    expect((await chat()).provider).toBe('alpha');
  });

  it.each([
    ['a bundle signed by an untrusted key', () => JSON.stringify(bundle(5, 'eb', { signer: stranger })), /not a trusted key|untrusted|unknown key/i],
    [
      'a bundle whose signature was replaced',
      () => JSON.stringify({ ...bundle(5, 'eb'), signature: bundle(6, 'eb').signature }),
      /signature/i,
    ],
    [
      'a bundle with one byte of its policy altered',
      () => {
        const signed = bundle(5, 'eb');
        return JSON.stringify({ ...signed, policy: signed.policy.replace('route_to: eb', 'route_to: ea') });
      },
      /signature|sha|digest|hash/i,
    ],
    ['an older version', () => JSON.stringify(bundle(1, 'eb')), /not newer than the applied version/],
    ['an expired bundle', () => JSON.stringify(bundle(5, 'eb', { expiresAt: new Date(Date.now() - 60_000) })), /expired/i],
    ['a bundle whose policy is invalid YAML', () => JSON.stringify(bundle(5, 'eb', { text: 'version: 5\nrules: [\n' })), /:\d+:\d+: /],
  ])('refuses %s, audits it, shows it, and keeps serving on the last good policy', async (_name, content, reason) => {
    const before = adminEvents('policy_refused').length;
    const file = `refused-${before}.json`;
    writeFileSync(join(bundles, file), content());
    const current = await waitForStatus((s) => s.last_refused?.source.endsWith(file) === true);
    expect(current.last_refused?.reason).toMatch(reason);
    expect(current.applied?.version).toBe(1);

    const refused = adminEvents('policy_refused');
    expect(refused).toHaveLength(before + 1);
    expect(String(refused.at(-1)?.reason)).toMatch(reason);

    // Still serving, still on version 1's route.
    expect(await chat()).toMatchObject({ provider: 'alpha', content: expect.any(String) });
    rmSync(join(bundles, file));
  });

  it('hot-reloads version after version under steady traffic without failing a request', async () => {
    const applied = (await status()).applied?.version ?? 0;
    let stop = false;
    const failures: unknown[] = [];
    const seen = new Set<string | null>();
    let completed = 0;
    const worker = async () => {
      while (!stop) {
        try {
          seen.add((await chat()).provider);
          completed++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    for (let version = applied + 1; version <= applied + 6; version++) {
      const endpoint = version % 2 === 0 ? 'eb' : 'ea';
      writeFileSync(join(bundles, `v${version}.json`), JSON.stringify(bundle(version, endpoint)));
      await waitForStatus((s) => s.applied?.version === version);
      // Requests that start after the swap take the new route.
      expect((await chat()).provider).toBe(endpoint === 'ea' ? 'alpha' : 'beta');
    }
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(completed).toBeGreaterThan(20);
    expect(seen).toEqual(new Set(['alpha', 'beta']));
    const appliedEvents = adminEvents('policy_applied').map((d) => d.version);
    expect(appliedEvents).toEqual(expect.arrayContaining([applied + 1, applied + 6]));
  });
});
