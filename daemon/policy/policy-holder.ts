// The live policy: one reference, swapped atomically. A request reads it once at applyPolicy
// and keeps that CompiledPolicy for its whole life, so a hot reload (signed bundles, file
// watch) never changes the rules under a request in flight.
import type { CompiledPolicy } from './compile-policy.js';

export interface PolicyHolder {
  current(): CompiledPolicy | null;
  set(policy: CompiledPolicy | null): void;
  /** Called after every swap (admin API caches, health checks). */
  onChange(listener: (policy: CompiledPolicy | null) => void): () => void;
}

export function createPolicyHolder(initial: CompiledPolicy | null = null): PolicyHolder {
  let policy = initial;
  const listeners = new Set<(policy: CompiledPolicy | null) => void>();
  return {
    current: () => policy,
    set(next) {
      policy = next;
      for (const listener of listeners) listener(next);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
