// Configured extra headers whose values may be secrets ({ env } / { keychain }), resolved once.
import type { SecretRef } from '../../shared/schemas/config.js';
import type { SinkDeps } from './sink.js';

export function resolveHeaders(headers: Record<string, string | SecretRef> | undefined, deps: Pick<SinkDeps, 'readSecret'>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    resolved[name.toLowerCase()] = typeof value === 'string' ? value : deps.readSecret(value);
  }
  return resolved;
}
