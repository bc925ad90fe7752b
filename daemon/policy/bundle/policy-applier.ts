// Decides whether a policy bundle becomes the live team policy. A bundle is applied only if
// its signature verifies with a trusted key, it has not expired, its version is higher than
// the one applied before (persisted, so a restart cannot be used to roll back), and the policy
// inside validates. Anything else is refused with a reason that is persisted, audited and
// shown; the daemon keeps serving on the last good policy. Swapping is one reference
// assignment, so requests in flight finish on the policy they started with.
import type { AppliedPolicy, PolicyStatus, RefusedBundle } from '../../../shared/schemas/policy-bundle.js';
import { verifyBundle } from './bundle.js';
import type { TrustedSigner } from './signing-key.js';
import type { PolicyStateStore } from './policy-state-store.js';

export interface AdminEventSink {
  (event: { kind: 'policy_applied' | 'policy_refused' | 'local_rules_refused'; detail: Record<string, unknown> }): void;
}

export interface PolicyApplierDeps<TPolicy> {
  readonly signers: ReadonlyMap<string, TrustedSigner>;
  readonly state: PolicyStateStore;
  /** Validates and compiles policy text; throws an Error whose message names file, line and field. */
  readonly parsePolicy: (text: string, source: string) => TPolicy;
  /** The version the policy text itself declares; must equal the signed bundle version. */
  readonly versionOf?: (policy: TPolicy) => number;
  /** Called with every newly applied policy (the policy holder's setter). */
  readonly onApplied: (policy: TPolicy, applied: AppliedPolicy) => void;
  readonly recordAdminEvent: AdminEventSink;
  readonly now?: () => Date;
}

export type ApplyResult =
  | { readonly outcome: 'applied'; readonly applied: AppliedPolicy }
  | { readonly outcome: 'unchanged' }
  | { readonly outcome: 'refused'; readonly refusal: RefusedBundle };

export interface PolicyApplier {
  /** Offers a bundle's text from `source` (a file path or URL). */
  offer(bundleText: string, source: string): ApplyResult;
  /** Re-applies the persisted policy at start (verified again: the file may have been edited). */
  restore(): ApplyResult | null;
  status(sourceLabel: string | null): PolicyStatus;
}

export function createPolicyApplier<TPolicy>(deps: PolicyApplierDeps<TPolicy>): PolicyApplier {
  const now = deps.now ?? (() => new Date());
  // SHA-256 of the policy that is live in this process (null until one is applied or restored).
  let liveSha: string | null = null;

  function refuse(source: string, reason: string, version: number | null, keyId: string | null): ApplyResult {
    const refusal: RefusedBundle = { source, refused_at: now().toISOString(), reason, version, key_id: keyId };
    deps.state.saveRefusal(refusal);
    deps.recordAdminEvent({ kind: 'policy_refused', detail: { ...refusal } });
    return { outcome: 'refused', refusal };
  }

  function offer(bundleText: string, source: string, isRestore = false): ApplyResult {
    const verified = verifyBundle(bundleText, deps.signers, now(), { ignoreExpiry: isRestore });
    if (!verified.ok) return refuse(source, verified.reason, verified.version, verified.keyId);
    const { bundle, signer } = verified;
    const current = deps.state.applied();
    if (current && !isRestore) {
      const sameAsApplied = bundle.policy_version === current.version && bundle.policy_sha256 === current.policy_sha256;
      if (sameAsApplied && liveSha === bundle.policy_sha256) return { outcome: 'unchanged' };
      if (!sameAsApplied && bundle.policy_version <= current.version) {
        return refuse(
          source,
          `version ${bundle.policy_version} is not newer than the applied version ${current.version} (rollback refused)`,
          bundle.policy_version,
          bundle.key_id,
        );
      }
    }
    let policy: TPolicy;
    try {
      policy = deps.parsePolicy(bundle.policy, `${source}#policy`);
    } catch (error) {
      return refuse(source, `policy is invalid: ${(error as Error).message}`, bundle.policy_version, bundle.key_id);
    }
    const declared = deps.versionOf?.(policy);
    if (declared !== undefined && declared !== bundle.policy_version) {
      return refuse(source, `bundle is signed as version ${bundle.policy_version} but the policy says version ${declared}`, bundle.policy_version, bundle.key_id);
    }
    const applied: AppliedPolicy = {
      version: bundle.policy_version,
      key_id: bundle.key_id,
      signer: signer.name,
      source,
      applied_at: isRestore && current ? current.applied_at : now().toISOString(),
      issued_at: bundle.issued_at,
      expires_at: bundle.expires_at,
      policy_sha256: bundle.policy_sha256,
    };
    if (!isRestore) deps.state.saveApplied(applied, bundleText);
    deps.onApplied(policy, applied);
    liveSha = bundle.policy_sha256;
    if (!isRestore) deps.recordAdminEvent({ kind: 'policy_applied', detail: { ...applied } });
    return { outcome: 'applied', applied };
  }

  return {
    offer: (text, source) => offer(text, source),
    restore() {
      const saved = deps.state.appliedBundle();
      if (saved === null) return null;
      return offer(saved.bundleText, saved.applied.source, true);
    },
    status(sourceLabel) {
      return {
        applied: deps.state.applied(),
        last_refused: deps.state.lastRefusal(),
        source: sourceLabel,
        trusted_keys: [...deps.signers.values()].map((s) => ({ id: s.keyId, name: s.name })),
      };
    },
  };
}
