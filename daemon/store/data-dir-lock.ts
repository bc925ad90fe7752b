// One daemon per data dir. Two daemons appending to the same audit chain each keep their own
// chain head in memory, so they write the same seq twice and corrupt the trail. `kagami start`
// therefore holds `<data_dir>/daemon.lock` (created atomically, holding its pid) for its whole
// life; a second start is refused while that pid is alive, and a lock left by a daemon that
// died without cleaning up (SIGKILL, power cut) is taken over. The CLI (`kagami keys`,
// `kagami audit`) opens the database without it: SQLite makes those short accesses safe.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './db.js';

export const LOCK_FILE_NAME = 'daemon.lock';

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Lock files this process holds: a second startDaemon() in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * Takes the data dir's lock or throws an Error naming the data dir and the pid holding it.
 * The file is written under a temporary name and then hard-linked into place, which either
 * creates it with its full content or fails with EEXIST: nobody ever reads a half-written lock.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, LOCK_FILE_NAME);
  const staging = `${path}.${process.pid}.tmp`;
  writeFileSync(staging, `${process.pid}\n`, { mode: 0o600 });
  try {
    // Two tries: the second after removing a stale lock.
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(staging, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(path);
      if (holder !== null && isAlive(holder)) {
        throw new Error(
          `the data dir ${dataDir} is in use by another kagami daemon (pid ${holder}); stop it first, or start this one with another --data-dir`,
        );
      }
      if (attempt > 0) throw new Error(`could not take the lock ${path}: it keeps reappearing`);
      // The daemon that wrote it is gone. (Two daemons starting at the same instant over the
      // same stale lock could both get here; one of them then fails the next link with EEXIST.)
      unlinkQuietly(path);
    }
  } finally {
    unlinkQuietly(staging);
  }
  heldHere.add(path);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      if (readHolder(path) === process.pid) unlinkQuietly(path);
    },
  };

  function isAlive(pid: number): boolean {
    if (pid === process.pid) return heldHere.has(path);
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: the process exists but belongs to someone else.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/** The pid in a lock file, or null if it is missing or unreadable (then it is stale). */
function readHolder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
