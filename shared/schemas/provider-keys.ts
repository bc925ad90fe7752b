// Provider API keys as the desktop app and the admin API show them: never the key, only a
// fingerprint (SHA-256 prefix) and its last 4 characters. Keys live in the OS keychain,
// service "kagami", account "provider:<id>" (what a config `api_key: { keychain: provider:<id> }`
// reads). Used by shared/ipc.ts (desktop: main writes the keychain) and by
// GET/POST/DELETE /admin/provider-keys and POST /admin/provider-keys/:provider/test.
import Type from 'typebox';

export const ProviderId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

/** A key as pasted: printable ASCII without spaces, within sane bounds. */
export const ProviderKeyValue = Type.String({ minLength: 8, maxLength: 8192, pattern: '^[\\x21-\\x7e]+$' });

export const ProviderKeyInfo = Type.Object({
  provider: ProviderId,
  /** Keychain account holding it (service "kagami"): `provider:<id>`. */
  account: Type.String(),
  /** First 12 hex chars of SHA-256(key): lets a reviewer compare keys without seeing them. */
  fingerprint: Type.String({ pattern: '^[0-9a-f]{12}$' }),
  last4: Type.String({ maxLength: 4 }),
});
export type ProviderKeyInfo = Type.Static<typeof ProviderKeyInfo>;

/** POST /admin/provider-keys body. */
export const SetProviderKey = Type.Object({ provider: ProviderId, key: ProviderKeyValue }, { additionalProperties: false });
export type SetProviderKey = Type.Static<typeof SetProviderKey>;

/** POST /admin/provider-keys/:provider/test: one minimal upstream call made with the stored key. */
export const ProviderKeyTest = Type.Object({
  provider: Type.String(),
  ok: Type.Boolean(),
  /** Where the key came from: `keychain:provider:openai`, `env:OPENAI_API_KEY`, or null (keyless). */
  source: Type.Union([Type.String(), Type.Null()]),
  /** Model the test call used. */
  model: Type.Union([Type.String(), Type.Null()]),
  /** On failure, the status the gateway answers requests with for it (502: the upstream refused, 504: timeout…). */
  status: Type.Union([Type.Integer(), Type.Null()]),
  /** Why it failed (the upstream's message, never the key). */
  message: Type.Union([Type.String(), Type.Null()]),
  latency_ms: Type.Union([Type.Number(), Type.Null()]),
  /** What to change so the stored key is the one requests use (e.g. the config names another ref). */
  hint: Type.Union([Type.String(), Type.Null()]),
});
export type ProviderKeyTest = Type.Static<typeof ProviderKeyTest>;
