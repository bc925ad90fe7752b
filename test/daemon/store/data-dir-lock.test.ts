// One daemon per data dir: the real `kagami start` (startDaemon and the CLI's runCli) on a temp
// data dir, a second start refused, a lock left by a dead daemon taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../daemon/cli/main.js';
import { startDaemon, type RunningDaemon } from '../../../daemon/cli/start.js';
import { EXIT } from '../../../daemon/cli/command.js';
import { LOCK_FILE_NAME, lockDataDir } from '../../../daemon/store/data-dir-lock.js';
import { forgetCheckpointKey } from '../audit/trail-db.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the data dir lock', () => {
  let dir: string;
  let dataDir: string;
  const daemons: RunningDaemon[] = [];
  const start = (createFirstKey = false) => startDaemon({ configFile: null, overrides: { port: 0, data_dir: dataDir }, createFirstKey });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-lock-'));
    dataDir = join(dir, 'data');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const daemon of daemons.splice(0)) await daemon.close();
    forgetCheckpointKey(dataDir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second daemon on the same data dir, naming the dir and the pid, and the first keeps answering', async () => {
    const first = await start(true);
    daemons.push(first);
    const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: first.firstKey ?? '', maxRetries: 0 });
    expect(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));

    await expect(start()).rejects.toThrow(`the data dir ${dataDir} is in use by another kagami daemon (pid ${process.pid})`);
    // The refused start took nothing of the first one's: its lock stays and it still answers.
    expect(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
    const completion = await client.chat.completions.create({ model: 'kagami-sim-chat', messages: [{ role: 'user', content: 'still there?' }] });
    expect(completion.choices[0]?.message.content).toBeTruthy();

    await first.close();
    daemons.splice(0);
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
    daemons.push(await start());
  });

  it('`kagami start` refuses a data dir held by another live process with exit code 1 and a clear message', async () => {
    // The lock of a daemon in another process: this test runner's parent is alive.
    lockDataDir(dataDir).release(); // creates the data dir
    writeFileSync(join(dataDir, LOCK_FILE_NAME), `${process.ppid}\n`);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    const code = await runCli(['start', '--port', '0', '--data-dir', dataDir, '--no-first-key'], 'test');
    expect(code).toBe(EXIT.failed);
    expect(err).toBe(`kagami start: the data dir ${dataDir} is in use by another kagami daemon (pid ${process.ppid}); stop it first, or start this one with another --data-dir\n`);
    // The other process's lock is left alone.
    expect(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.ppid));
  });

  it('takes over a lock left by a daemon that died without removing it', async () => {
    const gone = deadPid();
    lockDataDir(dataDir).release();
    writeFileSync(join(dataDir, LOCK_FILE_NAME), `${gone}\n`);
    const daemon = await start();
    daemons.push(daemon);
    expect(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
  });

  it('treats an empty or garbled lock file as stale', () => {
    lockDataDir(dataDir).release();
    writeFileSync(join(dataDir, LOCK_FILE_NAME), 'not a pid');
    const lock = lockDataDir(dataDir);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });
});
