// Bedrock request signing. Credentials, in order:
// 1. api_key: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK), sent as `Authorization: Bearer`;
// 2. SecretRefs in options: access_key_id + secret_access_key (+ session_token), from the OS
//    keychain or env vars the config names (e.g. { env: AWS_ACCESS_KEY_ID });
// 3. options.profile (or "default" when none of the above is set): that profile's keys in the
//    AWS shared credentials file (options.credentials_file, default ~/.aws/credentials).
//    SSO / assume-role profiles are not resolved: use keys or an API key for those.
// Requests are signed with AWS SigV4 (@smithy/signature-v4, SHA-256 from @aws-crypto), service
// "bedrock", region options.region or the one in the bedrock-runtime host.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { GatewayError } from '../../../shared/errors.js';
import type { ProviderConnection, UpstreamHttpRequest } from '../types.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const HOST_REGION = /^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/;
const profileCache = new Map<string, Promise<AwsCredentials>>();

export function regionOf(connection: ProviderConnection, url: URL): string {
  const option = connection.options['region'];
  if (typeof option === 'string' && option !== '') return option;
  return HOST_REGION.exec(url.hostname)?.[1] ?? 'us-east-1';
}

/** Parses an AWS shared credentials file (INI) and returns one profile's keys. */
export function profileFromIni(text: string, profile: string): AwsCredentials | null {
  let section = '';
  const values: Record<string, Record<string, string>> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header !== null) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1 || section === '') continue;
    (values[section] ??= {})[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  const entry = values[profile];
  const accessKeyId = entry?.['aws_access_key_id'];
  const secretAccessKey = entry?.['aws_secret_access_key'];
  if (accessKeyId === undefined || secretAccessKey === undefined) return null;
  const sessionToken = entry?.['aws_session_token'];
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

async function credentialsOf(connection: ProviderConnection): Promise<AwsCredentials> {
  const secrets = connection.secrets;
  const accessKeyId = secrets['options.access_key_id'];
  const secretAccessKey = secrets['options.secret_access_key'];
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = secrets['options.session_token'];
    return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
  }
  const profile = typeof connection.options['profile'] === 'string' ? connection.options['profile'] : 'default';
  const file = typeof connection.options['credentials_file'] === 'string' ? connection.options['credentials_file'] : join(homedir(), '.aws', 'credentials');
  const key = `${file}\0${profile}`;
  let pending = profileCache.get(key);
  if (pending === undefined) {
    pending = readFile(file, 'utf8').then(
      (text) => {
        const found = profileFromIni(text, profile);
        if (found === null) throw new Error(`profile "${profile}" has no aws_access_key_id / aws_secret_access_key in ${file}`);
        return found;
      },
      (error: Error) => {
        throw new Error(`cannot read ${file}: ${error.message}`);
      },
    );
    // A failed read is retried on the next request (the user may fix the file).
    pending.catch(() => profileCache.delete(key));
    profileCache.set(key, pending);
  }
  try {
    return await pending;
  } catch (cause) {
    throw new GatewayError('upstream_error', `bedrock connection "${connection.id}" has no AWS credentials: ${(cause as Error).message}`, { cause });
  }
}

export async function signBedrockRequest(request: UpstreamHttpRequest, url: URL, connection: ProviderConnection): Promise<UpstreamHttpRequest> {
  const apiKey = connection.secrets['api_key'];
  if (apiKey !== undefined) return { ...request, headers: { ...request.headers, authorization: `Bearer ${apiKey}` } };
  const signer = new SignatureV4({ credentials: await credentialsOf(connection), region: regionOf(connection, url), service: 'bedrock', sha256: Sha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, name) => {
    query[name] = value;
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query,
    headers: { ...request.headers, host: url.host },
    body: request.body ?? undefined,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = String(value);
  return { ...request, headers };
}
