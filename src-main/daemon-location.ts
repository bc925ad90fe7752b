// Where the app finds its daemon: the admin API URL, the admin token file the daemon writes
// at first start (<data_dir>/admin-token, mode 0600) and the command that starts one.
// The defaults match the daemon's (listen 127.0.0.1:8765, data_dir $XDG_DATA_HOME/kagami);
// KAGAMI_URL, KAGAMI_DATA_DIR, KAGAMI_CONFIG and KAGAMI_NODE override them.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DaemonLocation {
  url: string;
  dataDir: string;
  command: string;
  args: string[];
}

export function resolveDaemonLocation(appRoot: string, env: NodeJS.ProcessEnv = process.env): DaemonLocation {
  const dataDir = env.KAGAMI_DATA_DIR ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'kagami');
  const args = [join(appRoot, 'dist', 'daemon', 'main.js'), 'start'];
  if (env.KAGAMI_CONFIG) args.push('--config', env.KAGAMI_CONFIG);
  return {
    url: env.KAGAMI_URL ?? 'http://127.0.0.1:8765',
    dataDir,
    // The daemon's native modules (better-sqlite3) are built for the system Node, not Electron's.
    command: env.KAGAMI_NODE ?? 'node',
    args,
  };
}

/** The admin token, or null when the daemon has not written it yet. */
export async function readAdminToken(dataDir: string): Promise<string | null> {
  try {
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    return token === '' ? null : token;
  } catch {
    return null;
  }
}
