// A loopback Google OAuth2 token endpoint for Vertex tests: it accepts the service-account
// JWT bearer grant google-auth-library sends (RFC 7523), checks the assertion's RS256
// signature against the test key, its issuer, audience and scope, and answers with an access
// token, as https://oauth2.googleapis.com/token does. A bad assertion gets Google's
// invalid_grant error body.
import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenEndpoint {
  /** http://127.0.0.1:<port>/token */
  readonly url: string;
  /** Service-account key JSON (as Google issues it) whose private key signs the assertions. */
  readonly serviceAccountJson: string;
  /** Access tokens issued so far, in order. */
  readonly issued: string[];
  /** Decoded claims of every accepted assertion. */
  readonly claims: Record<string, unknown>[];
  close(): Promise<void>;
}

const CLIENT_EMAIL = 'kagami-test@kagami-test-project.iam.gserviceaccount.com';

function base64UrlJson(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function checkAssertion(assertion: string, publicKey: KeyObject, audience: string): Record<string, unknown> | string {
  const [header, payload, signature] = assertion.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return 'malformed assertion';
  if (base64UrlJson(header)['alg'] !== 'RS256') return 'alg must be RS256';
  const valid = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
  if (!valid) return 'Invalid JWT Signature.';
  const claims = base64UrlJson(payload);
  if (claims['iss'] !== CLIENT_EMAIL) return `unexpected issuer ${String(claims['iss'])}`;
  if (claims['aud'] !== audience) return `unexpected audience ${String(claims['aud'])}`;
  if (typeof claims['scope'] !== 'string' || !claims['scope'].includes('https://www.googleapis.com/auth/cloud-platform')) return 'missing cloud-platform scope';
  return claims;
}

export async function startTokenEndpoint(): Promise<TokenEndpoint> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = createPublicKey(privateKey);
  const issued: string[] = [];
  const claims: Record<string, unknown>[] = [];
  const serviceAccountJson = JSON.stringify({
    type: 'service_account',
    project_id: 'kagami-test-project',
    private_key_id: 'test-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: CLIENT_EMAIL,
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
      // google-auth-library signs for Google's token URI, wherever the request is sent.
      const result =
        request.method === 'POST' && form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer'
          ? checkAssertion(form.get('assertion') ?? '', publicKey, 'https://oauth2.googleapis.com/token')
          : 'unsupported grant';
      response.setHeader('content-type', 'application/json; charset=utf-8');
      if (typeof result === 'string') {
        response.statusCode = 400;
        response.end(JSON.stringify({ error: 'invalid_grant', error_description: result }));
        return;
      }
      claims.push(result);
      const token = `ya29.test-token-${issued.length + 1}`;
      issued.push(token);
      response.end(JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    serviceAccountJson,
    issued,
    claims,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
