// Keeps one local daemon available to the app: attach to a daemon that already answers its
// health endpoint, otherwise spawn `node dist/daemon/main.js start`, wait until it is healthy,
// and restart it with exponential backoff when it exits. Plain Node (no Electron) so it is
// tested under Node; main only subscribes to 'status' and shows it.

import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { DaemonStatus } from '../shared/ipc.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Running this long without exiting resets the backoff to initialMs. */
  stableMs: number;
}

export interface SupervisorOptions {
  /** Base URL the daemon listens on, e.g. http://127.0.0.1:8765. */
  url: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<BackoffOptions>;
  /** How often to probe /healthz while starting and while attached. */
  probeIntervalMs?: number;
  /** A spawned daemon not healthy within this long is killed and retried. */
  startTimeoutMs?: number;
  /** Lines of daemon stdout/stderr (for main's log; the daemon never prints secrets). */
  onOutput?: (line: string) => void;
  spawn?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
  fetch?: typeof fetch;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, stableMs: 60_000 };

/** Delay before restart attempt `attempt` (0-based): initial·factor^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return Math.min(options.maxMs, options.initialMs * options.factor ** attempt);
}

export class DaemonSupervisor extends EventEmitter<{ status: [DaemonStatus] }> {
  readonly #opts: SupervisorOptions;
  readonly #backoff: BackoffOptions;
  readonly #spawn: NonNullable<SupervisorOptions['spawn']>;
  readonly #fetch: typeof fetch;
  #child: ChildProcess | null = null;
  #status: DaemonStatus;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #stableTimer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(options: SupervisorOptions) {
    super();
    this.#opts = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#spawn = options.spawn ?? ((c, a, o) => nodeSpawn(c, a, o));
    this.#fetch = options.fetch ?? fetch;
    this.#status = { state: 'stopped', url: options.url, pid: null, restarts: 0, nextRetryAt: null, lastError: null };
  }

  status(): DaemonStatus {
    return { ...this.#status };
  }

  /** Attach to a healthy daemon at the URL, or spawn one. */
  async start(): Promise<void> {
    this.#stopping = false;
    if (await this.probe()) {
      this.#set({ state: 'attached', pid: null, lastError: null });
      this.#watchAttached();
      return;
    }
    this.#launch();
  }

  /** Stops supervising; terminates the daemon only if this supervisor spawned it. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#clearTimers();
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    this.#child = null;
    this.#set({ state: 'stopped', pid: null, nextRetryAt: null });
  }

  /** Restart now (a quick action in the tray). An attached daemon is left alone and re-probed. */
  async restart(): Promise<void> {
    await this.stop();
    this.#attempt = 0;
    await this.start();
  }

  /** True when GET /healthz answers 2xx within a second. */
  async probe(): Promise<boolean> {
    try {
      const res = await this.#fetch(new URL('/healthz', this.#opts.url), { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  #launch(): void {
    if (this.#stopping) return;
    this.#clearTimers();
    const child = this.#spawn(this.#opts.command, this.#opts.args, {
      cwd: this.#opts.cwd,
      env: this.#opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#set({ state: 'starting', pid: child.pid ?? null, nextRetryAt: null });
    forwardLines(child, this.#opts.onOutput);
    child.once('error', (error) => this.#onExit(child, `spawn failed: ${error.message}`));
    child.once('exit', (code, signal) => this.#onExit(child, `daemon exited (${signal ?? `code ${code}`})`));
    this.#waitHealthy(child, Date.now());
  }

  #waitHealthy(child: ChildProcess, startedAt: number): void {
    const interval = this.#opts.probeIntervalMs ?? 200;
    const timeout = this.#opts.startTimeoutMs ?? 20_000;
    const tick = async (): Promise<void> => {
      if (this.#child !== child || this.#stopping) return;
      if (await this.probe()) {
        if (this.#child !== child) return;
        this.#set({ state: 'running', lastError: null });
        this.#stableTimer = setTimeout(() => (this.#attempt = 0), this.#backoff.stableMs);
        return;
      }
      if (Date.now() - startedAt > timeout) {
        this.#set({ lastError: `not healthy after ${timeout} ms` });
        child.kill('SIGKILL');
        return;
      }
      this.#timer = setTimeout(() => void tick(), interval);
    };
    void tick();
  }

  #onExit(child: ChildProcess, reason: string): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.#clearTimers();
    if (this.#stopping) return;
    const delay = backoffDelay(this.#attempt, this.#backoff);
    this.#attempt += 1;
    this.#set({
      state: 'backoff',
      pid: null,
      restarts: this.#status.restarts + 1,
      nextRetryAt: Date.now() + delay,
      lastError: reason,
    });
    this.#timer = setTimeout(() => void this.start(), delay);
  }

  /** While attached to someone else's daemon, notice when it goes away and take over. */
  #watchAttached(): void {
    const interval = Math.max(this.#opts.probeIntervalMs ?? 200, 1_000);
    this.#timer = setTimeout(async () => {
      if (this.#stopping || this.#status.state !== 'attached') return;
      if (await this.probe()) return this.#watchAttached();
      this.#set({ lastError: 'attached daemon stopped answering' });
      this.#launch();
    }, interval);
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#stableTimer) clearTimeout(this.#stableTimer);
    this.#timer = this.#stableTimer = null;
  }

  #set(patch: Partial<DaemonStatus>): void {
    this.#status = { ...this.#status, ...patch };
    this.emit('status', this.status());
  }
}

function forwardLines(child: ChildProcess, onOutput: ((line: string) => void) | undefined): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    stream.setEncoding('utf8');
    let pending = '';
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onOutput?.(line);
    });
  }
}
