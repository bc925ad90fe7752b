import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult } from '../../../../daemon/policy/bundle/policy-applier.js';
import { createDirectorySource } from '../../../../daemon/policy/sources/directory-source.js';
import { createHttpsSource } from '../../../../daemon/policy/sources/https-source.js';
import { makeTestCertificates, type TestCertificates } from '../../../support/tls-certs.js';

const bundle = (version: number) => JSON.stringify({ policy_version: version, body: `v${version}` });

function recorder() {
  const offers: { text: string; source: string }[] = [];
  const offer = (text: string, source: string): ApplyResult => {
    offers.push({ text, source });
    return { outcome: 'unchanged' };
  };
  return { offers, offer };
}

describe('directory source', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kagami-policy-dir-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('offers every bundle at start, oldest version first, and each content only once', async () => {
    writeFileSync(join(dir, 'b.json'), bundle(2));
    writeFileSync(join(dir, 'a.json'), bundle(5));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const { offers, offer } = recorder();
    const source = createDirectorySource({ dir, offer, rescanMs: 60_000 });
    await source.start();
    expect(offers.map((o) => JSON.parse(o.text).policy_version)).toEqual([2, 5]);
    await source.check();
    expect(offers).toHaveLength(2);
    writeFileSync(join(dir, 'a.json'), bundle(6));
    await source.check();
    expect(offers.map((o) => o.source)).toEqual([join(dir, 'b.json'), join(dir, 'a.json'), join(dir, 'a.json')]);
    await source.close();
  });

  it('reports a missing folder as a source error, not a refusal', async () => {
    const { offers, offer } = recorder();
    const source = createDirectorySource({ dir: join(dir, 'missing'), offer });
    await source.start();
    expect(source.lastError()).toMatch(/cannot read policy folder/);
    expect(offers).toEqual([]);
    await source.close();
  });
});

describe('https source', () => {
  let certs: TestCertificates;
  let server: Server;
  let url: string;
  let current = bundle(1);
  const seen: (string | undefined)[] = [];

  beforeEach(async () => {
    certs = makeTestCertificates();
    seen.length = 0;
    server = createServer({ key: certs.serverKey, cert: certs.serverCert }, (req, res) => {
      const etag = `"${Buffer.from(current).toString('base64url').slice(-16)}"`;
      seen.push(req.headers['if-none-match']);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(current);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/team-policy.json`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    certs.remove();
  });

  it('polls with If-None-Match, offers only new content, and trusts only the configured CA', async () => {
    const { offers, offer } = recorder();
    current = bundle(1);
    const source = createHttpsSource({ url, offer, ca: certs.caCert, intervalMs: 60_000 });
    await source.start();
    expect(source.lastError()).toBeNull();
    expect(offers.map((o) => o.text)).toEqual([bundle(1)]);
    await source.check();
    expect(seen[1]).toMatch(/^"/); // second poll sent the ETag and got a 304
    expect(offers).toHaveLength(1);
    current = bundle(2);
    await source.check();
    expect(offers.map((o) => o.text)).toEqual([bundle(1), bundle(2)]);
    await source.close();

    const untrusting = createHttpsSource({ url, offer, intervalMs: 60_000 });
    await untrusting.start();
    expect(untrusting.lastError()).toMatch(/cannot fetch/);
    await untrusting.close();
  });

  it('refuses a plain http URL at configuration time', () => {
    expect(() => createHttpsSource({ url: 'http://127.0.0.1/x', offer: recorder().offer })).toThrow(/https/);
  });
});
