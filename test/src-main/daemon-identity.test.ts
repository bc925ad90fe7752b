// The desktop's check that the daemon on its address is the one holding the admin token it
// read, against the real daemon app (GET /ui/identity), an impostor and a relay.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonIdentityProof } from '../../daemon/api/admin/ui.js';
import { verifyDaemonIdentity } from '../../src-main/daemon-identity.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('verifyDaemonIdentity', () => {
  let gateway: TestGateway;
  const servers: Server[] = [];

  beforeEach(async () => {
    gateway = await startGateway({ config: { providers: [], models: [] } });
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    await gateway.close();
  });

  it('accepts the daemon that holds the token', async () => {
    expect(await verifyDaemonIdentity(gateway.origin, gateway.adminToken)).toBe(true);
  });

  it('refuses it with another token (a daemon with other data)', async () => {
    expect(await verifyDaemonIdentity(gateway.origin, 'kagami-admin-some-other-daemon-token')).toBe(false);
  });

  it('refuses another program on the port, whatever it answers', async () => {
    for (const answer of [{ status: 404, body: 'not found' }, { status: 200, body: JSON.stringify({ proof: 'a'.repeat(64) }) }, { status: 200, body: 'not json' }]) {
      const impostor = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
      servers.push(impostor);
      expect(await verifyDaemonIdentity(await listen(impostor), gateway.adminToken), answer.body).toBe(false);
    }
  });

  it('refuses a program on the port that relays the challenge to the real daemon', async () => {
    const daemon = new URL(gateway.origin);
    const relay = createServer((req, res) => {
      const upstream = httpRequest({ host: daemon.hostname, port: daemon.port, path: req.url, method: req.method, headers: { ...req.headers, host: daemon.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    servers.push(relay);
    const relayUrl = await listen(relay);
    // The relay does reach the daemon and gets a valid proof, but for the daemon's own port.
    const nonce = 'cd'.repeat(32);
    const relayed = await fetch(`${relayUrl}/ui/identity?nonce=${nonce}`);
    expect(relayed.status).toBe(200);
    expect(((await relayed.json()) as { proof: string }).proof).toBe(daemonIdentityProof(gateway.adminToken, nonce, Number(daemon.port)));
    expect(await verifyDaemonIdentity(relayUrl, gateway.adminToken)).toBe(false);
  });

  it('refuses when nothing answers', async () => {
    const gone = createServer();
    const url = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    expect(await verifyDaemonIdentity(url, gateway.adminToken, { timeoutMs: 1000 })).toBe(false);
  });
});
