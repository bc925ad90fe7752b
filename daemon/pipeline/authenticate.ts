// Who is calling: the virtual key from `Authorization: Bearer …` or `x-api-key` → Principal.
// The key store answers known keys from memory (sync), so this stage adds no I/O to a request
// with a valid key; an unknown key costs one indexed SQLite read (a key created a moment ago by
// `kagami keys create` works at once), and repeated unknown keys are answered from memory.
import { GatewayError } from '../../shared/errors.js';
import type { KeyVerifier } from '../deps.js';
import type { Principal, Stage } from './context.js';

export interface AuthenticateDeps {
  readonly keyStore: KeyVerifier;
}

function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.length > 7) {
    // "Bearer " is case-insensitive per RFC 6750; compare without allocating a lower-cased copy.
    if (authorization.slice(0, 7).toLowerCase() === 'bearer ') return authorization.slice(7).trim();
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  return null;
}

/** OpenAI's own wording, so clients that match on it behave the same. */
function invalidKey(presented: string | null): GatewayError {
  if (presented === null || presented === '') {
    return new GatewayError(
      'invalid_api_key',
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  const shown = presented.length > 8 ? `${presented.slice(0, 3)}*${presented.slice(-4)}` : '****';
  return new GatewayError('invalid_api_key', `Incorrect API key provided: ${shown}. You can create or revoke keys with \`kagami keys\`.`);
}

/** The principal for a request's headers, or a 401 GatewayError (also used by GET /v1/models). */
export function authenticateHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, keyStore: KeyVerifier): Principal {
  const presented = presentedKey(headers);
  const principal = presented === null ? null : keyStore.verify(presented);
  if (principal === null) throw invalidKey(presented);
  return principal;
}

export function createAuthenticate(deps: AuthenticateDeps): Stage {
  return async function authenticate(ctx, next) {
    const principal = authenticateHeaders(ctx.headers, deps.keyStore);
    ctx.principal = principal;
    const model = ctx.request.body.model;
    if (principal.models !== null && !principal.models.includes(model)) {
      throw new GatewayError('model_not_allowed', `This API key is not allowed to use the model '${model}'.`, { param: 'model' });
    }
    return next();
  };
}
