// A signed team-policy bundle, and the status a daemon reports about the bundles it was given.
// The bundle format is documented in the README ("Signed team policies") so other tools can
// produce bundles; keep the two in step.
import Type from 'typebox';

export const BUNDLE_FORMAT = 'kagami-policy-bundle/v1';

/** The signed header fields, in signing order (see signingInput in daemon/policy/bundle/). */
export const BundleHeader = Type.Object(
  {
    format: Type.Literal(BUNDLE_FORMAT),
    key_id: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    policy_version: Type.Integer({ minimum: 1 }),
    issued_at: Type.String({ format: 'date-time' }),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    policy_sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type BundleHeader = Type.Static<typeof BundleHeader>;

export const PolicyBundle = Type.Object(
  {
    ...BundleHeader.properties,
    /** The policy YAML, verbatim. */
    policy: Type.String(),
    /** Ed25519 signature over the signing input, base64. */
    signature: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$' }),
  },
  { additionalProperties: false },
);
export type PolicyBundle = Type.Static<typeof PolicyBundle>;

/** A trusted signer as written in the config (`policy.trusted_keys`). */
export const TrustedKey = Type.Object(
  {
    /** Optional; when given it must match the key id derived from the public key. */
    id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
    /** Ed25519 public key: base64 of the 32 raw bytes, or an SPKI PEM block. */
    public_key: Type.String({ minLength: 40 }),
    /** Who this key belongs to, for status displays. */
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TrustedKey = Type.Static<typeof TrustedKey>;

export const AppliedPolicy = Type.Object({
  version: Type.Integer(),
  key_id: Type.Union([Type.String(), Type.Null()]),
  signer: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  applied_at: Type.String(),
  issued_at: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  policy_sha256: Type.String(),
});
export type AppliedPolicy = Type.Static<typeof AppliedPolicy>;

export const RefusedBundle = Type.Object({
  source: Type.String(),
  refused_at: Type.String(),
  reason: Type.String(),
  version: Type.Union([Type.Integer(), Type.Null()]),
  key_id: Type.Union([Type.String(), Type.Null()]),
});
export type RefusedBundle = Type.Static<typeof RefusedBundle>;

/** GET /admin/policy/status and `kagami policy status`. */
export const PolicyStatus = Type.Object({
  applied: Type.Union([AppliedPolicy, Type.Null()]),
  last_refused: Type.Union([RefusedBundle, Type.Null()]),
  source: Type.Union([Type.String(), Type.Null()]),
  trusted_keys: Type.Array(Type.Object({ id: Type.String(), name: Type.Union([Type.String(), Type.Null()]) })),
});
export type PolicyStatus = Type.Static<typeof PolicyStatus>;
