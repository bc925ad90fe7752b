// A reference to a secret in the config file: an environment variable or an OS keychain entry
// (service "kagami"). Its own file so every config block (providers, siem sinks, …) can use it.
import Type from 'typebox';

/** Where a secret comes from: an environment variable, or the OS keychain (service "kagami"). */
export type SecretRef = { readonly env: string } | { readonly keychain: string };
// Validated as one object with exactly one of the two keys (clearer errors than a union);
// typed as the union, so code reading a ref narrows with `'env' in ref`.
export const SecretRef = Type.Unsafe<SecretRef>(
  Type.Object(
    {
      env: Type.Optional(
        Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', errorMessage: 'must be an environment variable name (letters, digits, _)' }),
      ),
      keychain: Type.Optional(Type.String({ minLength: 1, description: 'keychain account (service "kagami")' })),
    },
    { additionalProperties: false, minProperties: 1, maxProperties: 1, errorMessage: 'must be { env: NAME } or { keychain: ACCOUNT }' },
  ),
);
