import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../shared/ipc.js';
import { backoffDelay, DaemonSupervisor, type SupervisorOptions } from '../../src-main/daemon-supervisor.js';

const FAKE_DAEMON = fileURLToPath(new URL('./fixtures/fake-daemon.mjs', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with the first status (from now on) that satisfies `predicate`. */
function waitForStatus(supervisor: DaemonSupervisor, predicate: (s: DaemonStatus) => boolean): Promise<DaemonStatus> {
  return new Promise((resolve) => {
    if (predicate(supervisor.status())) return resolve(supervisor.status());
    const listener = (s: DaemonStatus): void => {
      if (!predicate(s)) return;
      supervisor.off('status', listener);
      resolve(s);
    };
    supervisor.on('status', listener);
  });
}

describe('DaemonSupervisor', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const supervise = (port: number, options: Partial<SupervisorOptions> = {}, env: Record<string, string> = {}): DaemonSupervisor => {
    const supervisor = new DaemonSupervisor({
      url: `http://127.0.0.1:${port}`,
      command: process.execPath,
      args: [FAKE_DAEMON],
      env: { ...process.env, PORT: String(port), ...env },
      probeIntervalMs: 25,
      backoff: { initialMs: 20, maxMs: 200, factor: 2, stableMs: 60_000 },
      ...options,
    });
    cleanups.push(() => supervisor.stop());
    return supervisor;
  };

  it('attaches to a daemon that already answers /healthz instead of spawning one', async () => {
    const existing: Server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => existing.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => existing.close(resolve)));
    let spawned = 0;
    const supervisor = supervise((existing.address() as AddressInfo).port, {
      spawn: () => {
        spawned += 1;
        throw new Error('must not spawn');
      },
    });
    await supervisor.start();
    expect(supervisor.status()).toMatchObject({ state: 'attached', pid: null, restarts: 0 });
    expect(spawned).toBe(0);
  });

  it('spawns the daemon, reports running once healthy, and stops it', async () => {
    const port = await freePort();
    const supervisor = supervise(port, {}, { HEALTHY_AFTER_MS: '100' });
    const seen: string[] = [];
    supervisor.on('status', (s) => seen.push(s.state));
    await supervisor.start();
    const running = await waitForStatus(supervisor, (s) => s.state === 'running');
    expect(running.pid).toBeGreaterThan(0);
    expect(seen[0]).toBe('starting');
    expect(await supervisor.probe()).toBe(true);

    await supervisor.stop();
    expect(supervisor.status().state).toBe('stopped');
    expect(await supervisor.probe()).toBe(false);
  });

  it('restarts a crashed daemon with exponentially growing delays', async () => {
    const port = await freePort();
    const supervisor = supervise(port);
    await supervisor.start();
    const delays: number[] = [];
    const pids = new Set<number>();
    for (let crash = 0; crash < 3; crash++) {
      const running = await waitForStatus(supervisor, (s) => s.state === 'running');
      pids.add(running.pid ?? -1);
      const backoff = waitForStatus(supervisor, (s) => s.state === 'backoff');
      const before = Date.now();
      await fetch(`http://127.0.0.1:${port}/crash`).then((r) => r.text());
      const status = await backoff;
      expect(status.lastError).toContain('code 3');
      expect(status.restarts).toBe(crash + 1);
      delays.push((status.nextRetryAt ?? 0) - before);
    }
    await waitForStatus(supervisor, (s) => s.state === 'running');
    expect(pids.size).toBe(3);
    // 20 → 40 → 80 ms (nextRetryAt is set at exit, a few ms after the crash request).
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[1]).toBeGreaterThanOrEqual(40);
    expect(delays[2]).toBeGreaterThanOrEqual(80);
  });

  it('kills and retries a daemon that never becomes healthy', async () => {
    const port = await freePort();
    const supervisor = supervise(port, { startTimeoutMs: 150 }, { NEVER_HEALTHY: '1' });
    await supervisor.start();
    const status = await waitForStatus(supervisor, (s) => s.state === 'backoff');
    expect(status.lastError).toMatch(/SIGKILL/);
    expect(status.restarts).toBe(1);
  });

  it('takes over when an attached daemon goes away', async () => {
    const port = await freePort();
    const existing: Server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => existing.listen(port, '127.0.0.1', resolve));
    const supervisor = supervise(port);
    await supervisor.start();
    expect(supervisor.status().state).toBe('attached');
    existing.closeAllConnections();
    await new Promise((resolve) => existing.close(resolve));
    const running = await waitForStatus(supervisor, (s) => s.state === 'running');
    expect(running.pid).toBeGreaterThan(0);
  });

  it('reports a command that cannot be spawned and keeps retrying', async () => {
    const port = await freePort();
    const supervisor = supervise(port, { command: '/nonexistent/node' });
    await supervisor.start();
    const status = await waitForStatus(supervisor, (s) => s.state === 'backoff');
    expect(status.lastError).toMatch(/spawn failed|ENOENT/);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const options = { initialMs: 500, maxMs: 30_000, factor: 2, stableMs: 60_000 };
    expect([0, 1, 2, 3, 6, 7, 20].map((n) => backoffDelay(n, options))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });
});
