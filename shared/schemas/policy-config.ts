// The `policy:` block of the config file: which team policy this daemon runs and whom it
// trusts to sign it. Either an unsigned local `file` (a single developer, no team), or a
// signed team policy: `trusted_keys` plus a `source` the daemon watches (a folder) or polls
// (an HTTPS URL with ETag). `local_rules` adds a developer's own rules where the team policy
// allows it (its `local_overrides` block).
import Type from 'typebox';
import { TrustedKey } from './policy-bundle.js';

export const PolicySourceConfig = Type.Union([
  Type.Object(
    {
      /** A folder of signed bundles (`*.json`), watched and rescanned. */
      dir: Type.String({ minLength: 1 }),
      rescan_s: Type.Integer({ minimum: 1, default: 30 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      /** An https: URL serving the current bundle. */
      url: Type.String({ pattern: '^https://' }),
      interval_s: Type.Integer({ minimum: 5, default: 60 }),
      /** PEM file of extra CA certificates to trust for this URL (a private PKI). */
      ca_file: Type.Optional(Type.String({ minLength: 1 })),
    },
    { additionalProperties: false },
  ),
]);
export type PolicySourceConfig = Type.Static<typeof PolicySourceConfig>;

export const PolicyConfig = Type.Object(
  {
    /** An unsigned policy file; not allowed together with trusted_keys (a team policy must be signed). */
    file: Type.Optional(Type.String({ minLength: 1 })),
    trusted_keys: Type.Array(TrustedKey, { default: [] }),
    source: Type.Optional(PolicySourceConfig),
    /** A developer's own rules file, merged where the team policy's local_overrides allow. */
    local_rules: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type PolicyConfig = Type.Static<typeof PolicyConfig>;
