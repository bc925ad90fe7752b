// Tests that need the real OS keychain (gnome-keyring's Secret Service under dbus-run-session
// in CI). Without one they skip with the reason, except in CI, which must provide it.
import type { TestContext } from 'vitest';
import { KeychainUnavailableError, readKeychainSecret } from '../../daemon/secrets/keychain.js';

/** Why the keychain cannot be used here, or null when it can. */
export function keychainProblem(): string | null {
  try {
    readKeychainSecret('kagami-test-probe');
    return null;
  } catch (error) {
    return error instanceof KeychainUnavailableError ? error.message : String(error);
  }
}

/** Skips the test without a reachable Secret Service; fails it in CI. */
export function requireKeychain(ctx: TestContext, problem: string | null = keychainProblem()): void {
  if (problem === null) return;
  if (process.env.CI) throw new Error(`CI must provide a Secret Service (run under dbus-run-session with gnome-keyring unlocked): ${problem}`);
  ctx.skip(`no Secret Service reachable (${problem}); run under dbus-run-session with an unlocked gnome-keyring`);
}
