// A gnome-keyring of its own, on a D-Bus session bus of its own, for a test that stresses the
// Secret Service (many processes writing and listing at once). The keyring every other test file
// uses (the one `.ci/run` unlocks) never sees that load, so if gnome-keyring gives way under it,
// no other test loses its keychain. The keyring lives in a temp folder (its own XDG data and
// runtime dirs: no shared keyring file, no shared control socket) and is unlocked with a
// password on stdin, as `.ci/run` does.
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 10_000;

export interface PrivateKeyring {
  /** Environment for child processes that should use this keyring. */
  readonly env: NodeJS.ProcessEnv;
  /** How the keyring daemon ended (exit code or signal, and the end of its stderr), or null while it runs. */
  death(): string | null;
  stop(): Promise<void>;
}

export async function startPrivateKeyring(): Promise<PrivateKeyring> {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-keyring-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'bus')}`,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  };
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // --print-address prints once the bus listens. The bus gets the same env, so a service it
    // activates by itself (it should not need to) would use the temp folder too.
    const bus = spawn('dbus-daemon', ['--session', '--nofork', `--address=${env.DBUS_SESSION_BUS_ADDRESS}`, '--print-address=1'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(bus);
    await once(bus.stdout!, 'data');

    const keyring = spawn('gnome-keyring-daemon', ['--unlock', '--foreground', '--components=secrets'], {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    children.push(keyring);
    let stderr = '';
    keyring.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    keyring.stdin!.end('pw');
    await waitForName('org.freedesktop.secrets', env, keyring);

    return {
      env,
      death: () =>
        keyring.exitCode === null && keyring.signalCode === null
          ? null
          : `gnome-keyring-daemon ended (${keyring.signalCode ?? `exit ${keyring.exitCode}`}): ${stderr.trim().split('\n').at(-1) ?? ''}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForName(name: string, env: NodeJS.ProcessEnv, owner: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (owner.exitCode !== null) throw new Error(`gnome-keyring-daemon exited with ${owner.exitCode} before taking ${name}`);
    const { stdout } = await run(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`],
      { env },
    );
    if (stdout.includes('boolean true')) return;
    if (Date.now() > deadline) throw new Error(`${name} not on the private bus within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
