// Vertex AI access tokens: OAuth2 with a Google service account through google-auth-library.
// Credentials, in order: a service-account key JSON held in a SecretRef (options.service_account,
// or api_key, which is where the desktop app stores a provider's key), options.key_file (a
// path), else Google's Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud,
// the metadata server).
// One client per connection and credentials; google-auth-library caches the token and
// refreshes it shortly before it expires, so most requests add no I/O.
import { createHash } from 'node:crypto';
import { GoogleAuth, JWT, type AuthClient } from 'google-auth-library';
import { GatewayError } from '../../../shared/errors.js';
import type { ProviderConnection, UpstreamHttpRequest } from '../types.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

interface TokenSource {
  getAccessToken(): Promise<{ token?: string | null } | string | null | undefined>;
}

const clients = new Map<string, TokenSource>();

function clientFor(connection: ProviderConnection): TokenSource {
  const serviceAccount = connection.secrets['options.service_account'] ?? connection.secrets['api_key'];
  const keyFile = typeof connection.options['key_file'] === 'string' ? connection.options['key_file'] : undefined;
  const tokenUrl = typeof connection.options['token_url'] === 'string' ? connection.options['token_url'] : undefined;
  const cacheKey = createHash('sha256')
    .update(`${connection.id}\0${serviceAccount ?? ''}\0${keyFile ?? ''}\0${tokenUrl ?? ''}`)
    .digest('hex');
  const cached = clients.get(cacheKey);
  if (cached !== undefined) return cached;

  let client: TokenSource;
  if (serviceAccount !== undefined) {
    let key: { client_email?: string; private_key?: string };
    try {
      key = JSON.parse(serviceAccount) as typeof key;
    } catch {
      throw new GatewayError('upstream_error', `vertex connection "${connection.id}": service_account is not a service-account key JSON`);
    }
    const jwt = new JWT({ email: key.client_email, key: key.private_key, scopes: [SCOPE] });
    if (tokenUrl !== undefined) redirectTokenRequests(jwt, tokenUrl);
    client = jwt;
  } else {
    client = new GoogleAuth({ scopes: [SCOPE], ...(keyFile === undefined ? {} : { keyFilename: keyFile }) });
  }
  clients.set(cacheKey, client);
  return client;
}

/** options.token_url: a private OAuth endpoint (Private Service Connect) or a test server. */
function redirectTokenRequests(client: AuthClient, tokenUrl: string): void {
  client.transporter.interceptors.request.add({
    resolved: (config) => {
      config.url = new URL(tokenUrl);
      return Promise.resolve(config);
    },
  });
}

export async function signVertexRequest(request: UpstreamHttpRequest, _url: URL, connection: ProviderConnection): Promise<UpstreamHttpRequest> {
  let token: string | null | undefined;
  try {
    const result = await clientFor(connection).getAccessToken();
    token = typeof result === 'string' || result === null || result === undefined ? result : result.token;
  } catch (cause) {
    throw new GatewayError('upstream_error', `vertex connection "${connection.id}": could not get an OAuth token (${(cause as Error).message})`, { cause });
  }
  if (token === null || token === undefined || token === '') {
    throw new GatewayError('upstream_error', `vertex connection "${connection.id}": google-auth-library returned no access token`);
  }
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
}
