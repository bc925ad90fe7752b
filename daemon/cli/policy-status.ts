// `kagami policy status`: the applied team policy (version, signer, source, time applied) and
// the last refused bundle with its reason, read from the daemon's database, so it works whether
// or not the daemon is running.
import type { PolicyStatus } from '../../shared/schemas/policy-bundle.js';
import { createPolicyStateStore } from '../policy/bundle/policy-state-store.js';
import { openExistingDatabase } from '../store/db.js';
import { EXIT, parseFlags, UsageError } from './command.js';
import { CONFIG_FLAGS, loadConfigWithoutSecrets } from './config-flags.js';

export const POLICY_STATUS_USAGE = `  kagami policy status [--json] [--config FILE] [--data-dir DIR]
      the applied team policy (version, signer, source, applied at) and the last refused bundle`;

export async function runPolicyStatus(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...CONFIG_FLAGS, json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const config = loadConfigWithoutSecrets(values);
  const db = openExistingDatabase(config.data_dir);
  try {
    const state = createPolicyStateStore(db);
    const policy = config.policy;
    const source = policy?.source ? ('dir' in policy.source ? policy.source.dir : policy.source.url) : (policy?.file ?? null);
    const status: PolicyStatus = {
      applied: state.applied(),
      last_refused: state.lastRefusal(),
      source,
      trusted_keys: (policy?.trusted_keys ?? []).map((k) => ({ id: k.id ?? '(derived from key)', name: k.name ?? null })),
    };
    process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : formatStatus(status, policy?.file !== undefined));
    return EXIT.ok;
  } finally {
    db.close();
  }
}

function formatStatus(status: PolicyStatus, unsigned: boolean): string {
  const lines: string[] = [];
  if (unsigned) lines.push(`Policy: unsigned local file ${status.source} (no team policy; applied when the daemon starts)`);
  else if (status.source === null) lines.push('Policy: none configured (routing by config model aliases)');
  else lines.push(`Source: ${status.source}`);
  const applied = status.applied;
  if (applied) {
    lines.push(
      `Applied: version ${applied.version}, signed by ${applied.signer ?? applied.key_id ?? 'nobody (unsigned)'} (key ${applied.key_id ?? '-'})`,
      `         from ${applied.source} at ${applied.applied_at}${applied.expires_at ? `, bundle expires ${applied.expires_at}` : ''}`,
    );
  } else if (!unsigned) {
    lines.push('Applied: no signed bundle applied yet');
  }
  const refused = status.last_refused;
  if (refused) {
    lines.push(`Last refused: ${refused.source} at ${refused.refused_at}${refused.version !== null ? ` (version ${refused.version})` : ''}`, `         reason: ${refused.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
