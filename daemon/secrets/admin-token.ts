// The admin token guarding /admin/* and /ui: generated at first start into
// `<data_dir>/admin-token` (file 0600, directory 0700) and reused afterwards, like Jupyter's
// token. Anyone who can read that file is the machine's owner; that is the trust boundary.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../store/db.js';
import { randomBase62 } from './random-token.js';

export const ADMIN_TOKEN_FILE = 'admin-token';
const TOKEN_PREFIX = 'kagami-admin-';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/**
 * The admin token for this data dir, created on first call. If the file exists but other
 * users could read it, its mode is tightened to 0600 first.
 */
export function loadAdminToken(dataDir: string): string {
  ensurePrivateDir(dataDir);
  const file = adminTokenPath(dataDir);
  try {
    // 'wx': fails if the file exists, so two processes starting at once keep one token.
    writeFileSync(file, `${TOKEN_PREFIX}${randomBase62(43)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} does not hold a valid admin token; delete it to generate a new one`);
  return token;
}
