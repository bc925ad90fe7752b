// Policy: which team policy is live (version, signer, source, when: GET /admin/policy/status),
// the last bundle the daemon refused and why, the trusted keys, and the policy the daemon
// enforces right now rendered as sentences (GET /admin/policy).

import type { Policy, Rule, RuleAction, RuleConditions } from '../../shared/schemas/policy.js';
import type { PolicyStatus } from '../../shared/schemas/policy-bundle.js';
import { useAdminResource } from '../app-context.js';
import { formatDateTime } from '../format.js';
import { useI18n } from '../i18n.js';
import { Unavailable } from './unavailable.js';

function describeConditions(when: RuleConditions): string[] {
  return Object.entries(when).map(([k, v]) => {
    if (Array.isArray(v)) return `${k} ∈ {${v.join(', ')}}`;
    if (v !== null && typeof v === 'object') return `${k} ${JSON.stringify(v)}`;
    return `${k} = ${String(v)}`;
  });
}

function describeAction(a: RuleAction): string {
  const parts: string[] = [];
  if (a.deny) parts.push(`deny: “${a.deny}”`);
  if (a.route_to) parts.push(`→ ${a.route_to}`);
  if (a.weighted) parts.push(`→ ${a.weighted.map((w) => `${w.endpoint} ×${w.weight}`).join(' | ')}`);
  if (a.strategy) parts.push(`→ ${a.strategy.type}(${a.strategy.targets.join(', ')})${a.strategy.slo_ms ? ` SLO ${a.strategy.slo_ms} ms` : ''}`);
  if (a.fallback?.length) parts.push(`fallback ${a.fallback.join(' → ')}`);
  if (a.on_prem_only) parts.push('on-prem only (fail closed)');
  if (a.max_tokens) parts.push(`max_tokens ≤ ${a.max_tokens}`);
  if (a.allowed_models) parts.push(`models ${a.allowed_models.join(', ')}`);
  if (a.cache) parts.push(`cache ${typeof a.cache === 'object' ? `${a.cache.ttl_s}s` : 'on'}`);
  return parts.join(' · ');
}

function PolicyDocument({ policy }: { policy: Policy }): React.JSX.Element {
  const { t } = useI18n();
  return (
    <>
      {policy.description ? <p>{policy.description}</p> : null}
      <h3>{t('policy.rules')}</h3>
      <ol className="rules">
        {(policy.rules ?? []).map((rule: Rule) => (
          <li key={rule.name}>
            <b className="mono">{rule.name}</b>
            {rule.description ? <span className="dim"> — {rule.description}</span> : null}
            <div>
              <span className="kw">{t('policy.when')}</span>{' '}
              {describeConditions(rule.when).map((c) => (
                <code key={c}>{c}</code>
              ))}
              {Object.keys(rule.when).length === 0 ? <code>{t('policy.always')}</code> : null}
            </div>
            <div className="mono">{describeAction(rule)}</div>
          </li>
        ))}
        <li>
          <b>{t('policy.default')}</b>
          <div className="mono">{describeAction(policy.default)}</div>
        </li>
      </ol>
      <h3>{t('policy.endpoints')}</h3>
      <table className="grid">
        <tbody>
          {Object.entries(policy.endpoints).map(([name, ep]) => (
            <tr key={name}>
              <td className="mono">{name}</td>
              <td className="mono dim">{JSON.stringify(ep)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** GET /admin/policy (policy area): the compiled policy in force, or null without one. */
interface ActivePolicy {
  policy: { file: string | null; version: number | string | null; sha256: string; document: Policy } | null;
}

/** The team-policy status, plus what the daemon adds about its source. */
type TeamPolicyStatus = PolicyStatus & { source_error?: string | null; signed?: boolean };

export function PolicyView(): React.JSX.Element {
  const { t } = useI18n();
  const status = useAdminResource<TeamPolicyStatus>('/admin/policy/status', {}, 5000);
  const active = useAdminResource<ActivePolicy>('/admin/policy', {}, 5000);
  if (status.unavailable) return <section className="view"><Unavailable path="/admin/policy/status" /></section>;
  if (status.error) return <section className="view"><p className="error">{status.error}</p></section>;
  if (!status.data) return <section className="view"><p className="dim">{t('common.loading')}</p></section>;
  const { applied, last_refused: refused, trusted_keys: keys, source, source_error: sourceError } = status.data;
  const policy = active.data?.policy ?? null;
  return (
    <section className="view">
      <div className="columns-2">
        <div className="card">
          <h2>{t('policy.applied')}</h2>
          {applied ? (
            <dl className="kv">
              <dt>{t('policy.version')}</dt>
              <dd className="mono big" data-testid="policy-version">v{applied.version}</dd>
              <dt>{t('policy.signer')}</dt>
              <dd>{applied.signer ?? '—'}</dd>
              <dt>{t('policy.keyId')}</dt>
              <dd className="mono">{applied.key_id ?? '—'}</dd>
              <dt>{t('policy.source')}</dt>
              <dd className="mono">{applied.source}</dd>
              <dt>{t('policy.appliedAt')}</dt>
              <dd>{formatDateTime(applied.applied_at)}</dd>
              <dt>{t('policy.issuedAt')}</dt>
              <dd>{formatDateTime(applied.issued_at)}</dd>
              <dt>{t('policy.expiresAt')}</dt>
              <dd>{formatDateTime(applied.expires_at)}</dd>
              <dt>{t('policy.sha')}</dt>
              <dd className="mono small selectable">{applied.policy_sha256}</dd>
            </dl>
          ) : (
            <p className="dim" data-testid="policy-none">
              {policy ? t('policy.localOnly') : t('policy.none')}
            </p>
          )}
          {source ? (
            <p className="small">
              <span className="dim">{t('policy.source')}:</span> <span className="mono">{source}</span>
            </p>
          ) : null}
          {sourceError ? <p className="warn small">{sourceError}</p> : null}
        </div>
        <div className={`card ${refused ? 'alert' : ''}`}>
          <h2>{t('policy.refused')}</h2>
          {refused ? (
            <dl className="kv">
              <dt>{t('policy.reason')}</dt>
              <dd className="warn" data-testid="refused-reason">{refused.reason}</dd>
              <dt>{t('policy.refusedAt')}</dt>
              <dd>{formatDateTime(refused.refused_at)}</dd>
              <dt>{t('policy.version')}</dt>
              <dd className="mono">{refused.version ?? '—'}</dd>
              <dt>{t('policy.keyId')}</dt>
              <dd className="mono">{refused.key_id ?? '—'}</dd>
              <dt>{t('policy.source')}</dt>
              <dd className="mono">{refused.source}</dd>
            </dl>
          ) : (
            <p className="dim">{t('policy.noneRefused')}</p>
          )}
          <h3>{t('policy.trustedKeys')}</h3>
          {keys.length === 0 ? (
            <p className="dim">{t('common.none')}</p>
          ) : (
            <ul className="mono">
              {keys.map((k) => (
                <li key={k.id}>
                  {k.id}
                  {k.name ? <span className="dim"> ({k.name})</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {policy ? (
        <div className="card" data-testid="policy-document">
          <h2>
            {t('policy.inForce')}{' '}
            <span className="dim mono small">
              {policy.file ?? ''} {policy.version !== null ? `v${policy.version}` : ''} · {policy.sha256.slice(0, 12)}
            </span>
          </h2>
          <PolicyDocument policy={policy.document} />
        </div>
      ) : null}
    </section>
  );
}
