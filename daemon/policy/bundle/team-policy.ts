// Which policy this daemon runs, kept current: the config's `policy:` block turned into a live
// reference that the applyPolicy stage reads once per request (so a reload never changes the
// policy under a request in flight), fed either by an unsigned local file (watched) or by a
// signed-bundle source through the applier (signature, trust, rollback and validity checks).
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { PolicyConfig } from '../../../shared/schemas/policy-config.js';
import type { PolicyStatus } from '../../../shared/schemas/policy-bundle.js';
import type { CompiledPolicy } from '../compile-policy.js';
import { parsePolicy } from '../load-policy.js';
import type { PolicyHolder } from '../policy-holder.js';
import type { SqliteDatabase } from '../../store/db.js';
import { sha256Hex } from './bundle.js';
import { createPolicyApplier, type AdminEventSink } from './policy-applier.js';
import { createPolicyStateStore } from './policy-state-store.js';
import { parseTrustedKeys } from './signing-key.js';
import { createDirectorySource } from '../sources/directory-source.js';
import { createHttpsSource } from '../sources/https-source.js';
import type { PolicySource } from '../sources/source.js';

export interface TeamPolicy {
  status(): PolicyStatus & { source_error: string | null; signed: boolean };
  /** Applies what is there at start (persisted bundle, then the source's first check). */
  start(): Promise<void>;
  /** Re-reads the source now (tests; `kagami policy reload` later). */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface TeamPolicyDeps {
  readonly config: PolicyConfig | undefined;
  readonly db: SqliteDatabase;
  /** Where the live policy is published; applyPolicy reads it once per request. */
  readonly holder: PolicyHolder;
  readonly recordAdminEvent: AdminEventSink;
  /** Applies local rules on top of a team policy (null: none configured). */
  readonly mergeLocalRules?: ((team: CompiledPolicy) => CompiledPolicy) | null;
  readonly now?: () => Date;
}

export function createTeamPolicy(deps: TeamPolicyDeps): TeamPolicy {
  let team: CompiledPolicy | null = null;
  // Local rules that no longer fit a new team policy are dropped (and audited); the team
  // policy itself always applies.
  const publish = (policy: CompiledPolicy): void => {
    team = policy;
    if (!deps.mergeLocalRules) return deps.holder.set(policy);
    try {
      deps.holder.set(deps.mergeLocalRules(policy));
    } catch (error) {
      deps.holder.set(policy);
      deps.recordAdminEvent({ kind: 'local_rules_refused', detail: { reason: (error as Error).message, team_version: policy.version } });
    }
  };
  const policy = createPolicyFeed(deps, publish);
  const localRules = deps.config?.local_rules;
  if (localRules === undefined || !deps.mergeLocalRules) return policy;

  // An edit of the local rules file re-merges them onto the team policy in force.
  let stopWatching: (() => void) | null = null;
  return {
    ...policy,
    async start() {
      await policy.start();
      stopWatching = watchFile(localRules, () => {
        if (team !== null) publish(team);
      });
    },
    async close() {
      stopWatching?.();
      await policy.close();
    },
  };
}

/** Where the team policy comes from: nothing, an unsigned local file, or a signed-bundle source. */
function createPolicyFeed(deps: TeamPolicyDeps, publish: (policy: CompiledPolicy) => void): TeamPolicy {
  const config = deps.config;

  if (config === undefined || (config.file === undefined && config.source === undefined)) {
    return {
      status: () => ({ applied: null, last_refused: null, source: null, trusted_keys: [], source_error: null, signed: false }),
      start: async () => undefined,
      check: async () => undefined,
      close: async () => undefined,
    };
  }
  if (config.file !== undefined) {
    if (config.trusted_keys.length > 0 || config.source !== undefined) {
      throw new Error('policy.file (an unsigned local policy) cannot be combined with policy.trusted_keys or policy.source');
    }
    return createLocalFilePolicy(config.file, deps, publish);
  }
  if (config.trusted_keys.length === 0) throw new Error('policy.source needs policy.trusted_keys: a team policy must be signed');

  const signers = parseTrustedKeys(config.trusted_keys);
  const applier = createPolicyApplier<CompiledPolicy>({
    signers,
    state: createPolicyStateStore(deps.db),
    parsePolicy,
    versionOf: (policy) => policy.version,
    onApplied: publish,
    recordAdminEvent: deps.recordAdminEvent,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const source: PolicySource =
    'dir' in config.source!
      ? createDirectorySource({ dir: config.source.dir, offer: applier.offer, rescanMs: config.source.rescan_s * 1000 })
      : createHttpsSource({
          url: config.source!.url,
          offer: applier.offer,
          intervalMs: config.source!.interval_s * 1000,
          ...(config.source!.ca_file ? { ca: readFileSync(config.source!.ca_file, 'utf8') } : {}),
        });

  return {
    status: () => ({ ...applier.status(source.label), source_error: source.lastError(), signed: true }),
    async start() {
      applier.restore();
      await source.start();
    },
    check: () => source.check(),
    close: () => source.close(),
  };
}

/** An unsigned policy file (no team): watched, and an invalid edit keeps the last good policy. */
function createLocalFilePolicy(
  file: string,
  deps: TeamPolicyDeps,
  publish: (policy: CompiledPolicy) => void,
): TeamPolicy {
  const current = (): CompiledPolicy | null => deps.holder.current();
  let stopWatching: (() => void) | null = null;
  let appliedSha: string | null = null;
  let appliedAt: string | null = null;
  let lastRefused: PolicyStatus['last_refused'] = null;
  let refusal: unknown = null;
  let error: string | null = null;
  const now = deps.now ?? (() => new Date());

  async function check(): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
      error = null;
    } catch (cause) {
      error = `cannot read ${file}: ${(cause as Error).message}`;
      return;
    }
    const sha = sha256Hex(text);
    if (sha === appliedSha) return;
    try {
      const policy = parsePolicy(text, file);
      appliedSha = sha;
      appliedAt = now().toISOString();
      publish(policy);
      deps.recordAdminEvent({ kind: 'policy_applied', detail: { source: file, version: policy.version, signed: false } });
    } catch (cause) {
      refusal = cause;
      lastRefused = { source: file, refused_at: now().toISOString(), reason: (cause as Error).message, version: null, key_id: null };
      appliedSha = sha; // refuse this content once, not on every event
      deps.recordAdminEvent({ kind: 'policy_refused', detail: { ...lastRefused } });
    }
  }

  return {
    status: () => {
      const policy = current();
      return {
        applied:
          policy && appliedAt
            ? { version: policy.version, key_id: null, signer: null, source: file, applied_at: appliedAt, issued_at: null, expires_at: null, policy_sha256: appliedSha ?? '' }
            : null,
        last_refused: lastRefused,
        source: file,
        trusted_keys: [],
        source_error: error,
        signed: false,
      };
    },
    async start() {
      await check();
      // No policy to fall back on: refuse to start, with the policy's own error (file, line, field).
      if (current() === null && refusal !== null) throw refusal;
      if (current() === null && error !== null) throw new Error(`policy.file: ${error}`);
      stopWatching = watchFile(file, () => void check());
    },
    check,
    async close() {
      stopWatching?.();
    },
  };
}

/**
 * Calls onChange (debounced) when the file is written. Watches the folder, not the file:
 * editors save by writing a new file and renaming it over the old one.
 */
function watchFile(file: string, onChange: () => void): () => void {
  let debounce: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(onChange, 50);
    });
    watcher.on('error', () => undefined);
  } catch {
    // the folder vanished: keep what we have
  }
  return () => {
    watcher?.close();
    if (debounce) clearTimeout(debounce);
  };
}
