// Azure OpenAI authentication: an `api-key` header, or a Microsoft Entra ID access token.
// Credentials, in order:
// 1. api_key: the resource key, sent as `api-key` (Azure's key auth);
// 2. options.tenant_id + options.client_id + options.client_secret (a SecretRef): a service
//    principal. Its token comes from the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) at
//    `<authority_host>/<tenant_id>/oauth2/v2.0/token` (authority_host defaults to
//    https://login.microsoftonline.com; set it for sovereign clouds, or token_url for a
//    private endpoint) with scope https://cognitiveservices.azure.com/.default, and is sent as
//    `Authorization: Bearer`. Tokens are cached per connection until 5 minutes before they
//    expire; concurrent requests share one token fetch.
// The grant is one form POST, so it is done here with fetch rather than @azure/identity
// (whose current major needs Node 22 and brings MSAL for flows a daemon does not use).
import { GatewayError } from '../../../shared/errors.js';
import type { ProviderConnection, UpstreamHttpRequest } from '../types.js';

const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const SCOPE = 'https://cognitiveservices.azure.com/.default';
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

interface ServicePrincipal {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

const tokens = new Map<string, CachedToken>();
const pending = new Map<string, Promise<CachedToken>>();

function option(connection: ProviderConnection, name: string): string | undefined {
  const value = connection.options[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function servicePrincipalOf(connection: ProviderConnection): ServicePrincipal | null {
  const tenant = option(connection, 'tenant_id');
  const clientId = option(connection, 'client_id');
  const clientSecret = connection.secrets['options.client_secret'];
  if (tenant === undefined && clientId === undefined && clientSecret === undefined) return null;
  if (tenant === undefined || clientId === undefined || clientSecret === undefined || clientSecret === '') {
    throw new GatewayError('upstream_error', `azure-openai connection "${connection.id}": Entra ID needs options.tenant_id, options.client_id and options.client_secret`);
  }
  const authority = (option(connection, 'authority_host') ?? DEFAULT_AUTHORITY).replace(/\/+$/, '');
  const tokenUrl = option(connection, 'token_url') ?? `${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
  return { tokenUrl, clientId, clientSecret };
}

async function fetchToken(connection: ProviderConnection, principal: ServicePrincipal, now: () => number): Promise<CachedToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: principal.clientId, client_secret: principal.clientSecret, scope: SCOPE });
  let response: Response;
  try {
    response = await fetch(principal.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  } catch (cause) {
    throw new GatewayError('upstream_error', `azure-openai connection "${connection.id}": could not reach the Entra ID token endpoint (${(cause as Error).message})`, { cause });
  }
  const text = await response.text();
  let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // reported below with the status
  }
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description.split('\n')[0] ?? ''}` : ''}` : `HTTP ${response.status}`;
    throw new GatewayError('upstream_error', `azure-openai connection "${connection.id}": Entra ID refused the service principal (${reason})`);
  }
  const lifetimeS = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
  return { token: body.access_token, expiresAt: now() + (Number.isFinite(lifetimeS) ? lifetimeS : 3600) * 1000 };
}

/** An Entra ID token for the connection's service principal (cached, shared while in flight). */
async function entraToken(connection: ProviderConnection, principal: ServicePrincipal, now: () => number = Date.now): Promise<string> {
  const key = `${connection.id}\0${principal.tokenUrl}\0${principal.clientId}`;
  const cached = tokens.get(key);
  if (cached !== undefined && cached.expiresAt - REFRESH_MARGIN_MS > now()) return cached.token;
  let inFlight = pending.get(key);
  if (inFlight === undefined) {
    inFlight = fetchToken(connection, principal, now).finally(() => pending.delete(key));
    pending.set(key, inFlight);
  }
  const fresh = await inFlight;
  tokens.set(key, fresh);
  return fresh.token;
}

export async function signAzureRequest(request: UpstreamHttpRequest, _url: URL, connection: ProviderConnection): Promise<UpstreamHttpRequest> {
  const apiKey = connection.secrets['api_key'];
  if (apiKey !== undefined && apiKey !== '') return { ...request, headers: { ...request.headers, 'api-key': apiKey } };
  const principal = servicePrincipalOf(connection);
  if (principal === null) {
    throw new GatewayError('upstream_error', `azure-openai connection "${connection.id}" has no credentials: set api_key, or options.tenant_id, client_id and client_secret for Entra ID`);
  }
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${await entraToken(connection, principal)}` } };
}
