// Where signed team-policy bundles come from. A source fetches bundle texts and offers each new
// one to the applier; it never decides whether a bundle is good (the applier does).
import { createHash } from 'node:crypto';
import type { ApplyResult } from '../bundle/policy-applier.js';

export interface PolicySource {
  /** Human-readable origin for status displays (folder path or URL). */
  readonly label: string;
  /** First fetch; resolves when the first check has finished (so start-up applies it). */
  start(): Promise<void>;
  /** Checks now (also runs on a timer / file events). */
  check(): Promise<void>;
  close(): Promise<void>;
  /** Last fetch problem (unreachable URL, unreadable file), not a refusal. */
  lastError(): string | null;
}

export type Offer = (bundleText: string, source: string) => ApplyResult;

/**
 * Offers a bundle text only when its content is new for that origin, so an old bundle left in
 * a folder is refused (and audited) once, not on every rescan.
 */
export function createNewContentFilter(): (origin: string, text: string) => boolean {
  const seen = new Map<string, string>();
  return (origin, text) => {
    const digest = createHash('sha256').update(text).digest('hex');
    if (seen.get(origin) === digest) return false;
    seen.set(origin, digest);
    return true;
  };
}
