import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminTokenPath, loadAdminToken } from '../../../daemon/secrets/admin-token.js';

describe('loadAdminToken', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kagami-token-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('generates a token at first start with owner-only permissions, and reuses it', () => {
    const dataDir = join(root, 'data');
    const token = loadAdminToken(dataDir);
    expect(token).toMatch(/^kagami-admin-[0-9A-Za-z]{43}$/);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(adminTokenPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(adminTokenPath(dataDir), 'utf8').trim()).toBe(token);
    expect(loadAdminToken(dataDir)).toBe(token);
  });

  it('tightens a token file other users could read', () => {
    const token = loadAdminToken(root);
    chmodSync(adminTokenPath(root), 0o644);
    expect(loadAdminToken(root)).toBe(token);
    expect(statSync(adminTokenPath(root)).mode & 0o777).toBe(0o600);
  });
});
