// Azure OpenAI with Microsoft Entra ID: the real daemon in front of a replayed Azure upstream
// (the recorded Azure chat stream) and a loopback Entra ID token endpoint that checks the
// client-credentials grant. The api-key path, deployments and api-version are covered by
// test/daemon/providers/openai-compatible.test.ts.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../support/replay-upstream.js';
import { FIXTURES } from './fixtures.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

interface TokenServer {
  readonly origin: string;
  readonly grants: URLSearchParams[];
  readonly paths: string[];
  close(): Promise<void>;
}

/** Answers like login.microsoftonline.com: a token for the right client secret, invalid_client otherwise. */
async function startEntra(expiresIn: number): Promise<TokenServer> {
  const grants: URLSearchParams[] = [];
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
      grants.push(form);
      paths.push(request.url ?? '');
      response.setHeader('content-type', 'application/json; charset=utf-8');
      if (form.get('client_secret') !== 'the-client-secret') {
        response.statusCode = 401;
        response.end(JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0', error_codes: [7000215] }));
        return;
      }
      response.end(JSON.stringify({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: `eyJ0eXAi.entra-token-${grants.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    grants,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const lines = readFileSync(join(FIXTURES, 'azure', 'chunks', 'azure-model-router.1.chunks.txt'), 'utf8').split('\n').filter((line) => line.trim() !== '');
const azureStream: ReplayResponse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Buffer.from(lines.map((line) => `data: ${line}\n\n`).join('') + 'data: [DONE]\n\n') };

let entra: TokenServer | undefined;
let upstream: ReplayUpstream | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  await entra?.close();
  gateway = upstream = entra = undefined;
});

async function start(secret: string, expiresIn: number, replies: number): Promise<OpenAI> {
  entra = await startEntra(expiresIn);
  upstream = await startReplayUpstream(Array.from({ length: replies }, () => azureStream));
  gateway = await startGateway({
    config: {
      providers: [
        {
          id: 'azure',
          type: 'azure-openai',
          base_url: upstream.origin,
          options: {
            api_version: '2025-01-01-preview',
            deployments: { 'model-router': 'my-router-deployment' },
            tenant_id: TENANT,
            client_id: 'b1f3c2a4-0000-4000-8000-000000000001',
            client_secret: { env: 'AZURE_CLIENT_SECRET' },
            authority_host: entra.origin,
          },
        },
      ],
      models: [{ name: 'router', provider: 'azure', model: 'model-router', capabilities: { chat: true } }],
    },
    env: { AZURE_CLIENT_SECRET: secret },
  });
  return new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
}

async function ask(client: OpenAI): Promise<string> {
  const stream = await client.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'Capital of Denmark?' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('azure-openai with Entra ID', () => {
  it('gets a token with the client-credentials grant, sends it as a bearer token and reuses it', async () => {
    const client = await start('the-client-secret', 3599, 2);
    expect(await ask(client)).toBe('Capital of Denmark.');
    expect(await ask(client)).toBe('Capital of Denmark.');

    expect(entra?.paths).toEqual([`/${TENANT}/oauth2/v2.0/token`]);
    expect(Object.fromEntries(entra?.grants[0] ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: 'b1f3c2a4-0000-4000-8000-000000000001',
      client_secret: 'the-client-secret',
      scope: 'https://cognitiveservices.azure.com/.default',
    });
    for (const request of upstream?.received ?? []) {
      expect(request.url).toBe('/openai/deployments/my-router-deployment/chat/completions?api-version=2025-01-01-preview');
      expect(request.headers.authorization).toBe('Bearer eyJ0eXAi.entra-token-1');
      expect(request.headers['api-key']).toBeUndefined();
    }
  });

  it('fetches a new token when the cached one is within five minutes of expiring', async () => {
    const client = await start('the-client-secret', 120, 2);
    await ask(client);
    await ask(client);
    expect(upstream?.received.map((request) => request.headers.authorization)).toEqual(['Bearer eyJ0eXAi.entra-token-1', 'Bearer eyJ0eXAi.entra-token-2']);
  });

  it('answers 502 naming Entra ID when the service principal is refused, and sends nothing upstream', async () => {
    const client = await start('a-wrong-secret', 3599, 1);
    const error = await ask(client).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/Entra ID refused the service principal \(invalid_client: AADSTS7000215: Invalid client secret provided\./) });
    expect(String((error as Error).message)).not.toContain('a-wrong-secret');
    expect(upstream?.received).toHaveLength(0);
  });
});
