// Authentication in the real daemon (`kagami start`'s startDaemon, default 500 ms key refresh):
// a key created by `kagami keys create` (another SQLite connection) works on the very next call.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { openDatabase, type SqliteDatabase } from '../../../daemon/store/db.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { forgetCheckpointKey } from '../audit/trail-db.js';

describe('authenticate in the running daemon', () => {
  let dir: string;
  let daemon: RunningDaemon;
  let cliDb: SqliteDatabase;
  let cliKeys: KeyStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-auth-'));
    daemon = await startDaemon({ configFile: null, overrides: { port: 0, data_dir: dir }, createFirstKey: false });
    // What `kagami keys create` does: its own connection to the same kagami.db.
    cliDb = openDatabase(dir);
    cliKeys = new KeyStore(cliDb, { refreshMs: 0 });
  });
  afterEach(async () => {
    cliKeys.close();
    cliDb.close();
    await daemon.close();
    forgetCheckpointKey(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (apiKey: string) => new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey, maxRetries: 0 });

  it('accepts a key created by another connection on the very next request', async () => {
    const { key } = cliKeys.create({ tenant: 'acme', user: 'ana' });
    const completion = await client(key).chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBeTruthy();
  });

  it('still answers 401 to an unknown key, every time', async () => {
    const bad = client(`sk-kagami-${'0'.repeat(40)}`);
    for (let i = 0; i < 3; i++) {
      await expect(bad.chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
        status: 401,
        code: 'invalid_api_key',
      });
    }
  });
});
