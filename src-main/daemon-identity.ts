// Is whatever answers on the daemon's address really the Kagami daemon whose admin token we
// read from its data dir? Another local program could hold the port first; the app must not
// hand it the token nor load its page into a window that has the keychain bridge. The daemon
// proves it holds the token without sending it: HMAC-SHA256(token, nonce + port) from
// GET /ui/identity (daemon/api/admin/ui.ts). The port is in the proof, so a program on our
// port relaying the challenge to a real daemon elsewhere fails too.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface IdentityCheckOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export async function verifyDaemonIdentity(daemonUrl: string, adminToken: string, options: IdentityCheckOptions = {}): Promise<boolean> {
  const url = new URL(daemonUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const nonce = randomBytes(32).toString('hex');
  const expected = createHmac('sha256', adminToken).update(`kagami-daemon-identity\n${nonce}\n${port}`).digest();
  try {
    const res = await (options.fetch ?? fetch)(new URL(`/ui/identity?nonce=${nonce}`, url), {
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
      redirect: 'error',
    });
    if (!res.ok) return false;
    const { proof } = (await res.json()) as { proof?: unknown };
    if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
    return timingSafeEqual(Buffer.from(proof, 'hex'), expected);
  } catch {
    return false;
  }
}
