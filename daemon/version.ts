// The version in package.json, found from this file's location (daemon/ when run with tsx,
// dist/daemon/ when built), so `kagami --version` and /admin/status never disagree with it.
import { existsSync, readFileSync } from 'node:fs';

function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const url = new URL(relative, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'kagami' && typeof pkg.version === 'string') return pkg.version;
  }
  return '0.0.0-unknown';
}

export const KAGAMI_VERSION = readVersion();
