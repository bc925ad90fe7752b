// A real rsyslogd for the syslog sink tests: the test writes its config (imtcp on a loopback
// port, optionally TLS via the gtls driver, an omfile output with a template exposing the
// parsed RFC 5424 fields), runs it in the foreground as a child (-n), and can stop and start it
// again on the same port. Missing rsyslogd: tests skip with a reason, or fail under CI.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export function rsyslogMissing(): string | null {
  if (existsSync(RSYSLOGD)) return null;
  const reason = `${RSYSLOGD} is not installed (apt-get install rsyslog rsyslog-gnutls)`;
  if (process.env.CI) throw new Error(`CI: ${reason}`);
  return reason;
}

export interface RsyslogTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** One received message, as rsyslog parsed it. */
export interface ReceivedMessage {
  readonly msgid: string;
  readonly structuredData: string;
  readonly appName: string;
  readonly hostname: string;
  readonly pri: number;
  readonly msg: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class RsyslogServer {
  private child: ChildProcess | null = null;
  private stderr = '';
  readonly output: string;

  private constructor(readonly dir: string, readonly port: number, private readonly tls: RsyslogTls | null) {
    this.output = join(dir, 'received.log');
  }

  static async create(dir: string, tls: RsyslogTls | null = null): Promise<RsyslogServer> {
    const server = new RsyslogServer(dir, await freePort(), tls);
    mkdirSync(join(dir, 'work'), { recursive: true });
    writeFileSync(join(dir, 'rsyslog.conf'), server.config());
    return server;
  }

  private config(): string {
    const tab = '\\t';
    const lines = [
      `global(workDirectory="${join(this.dir, 'work')}"${this.tls ? ` DefaultNetstreamDriverCAFile="${this.tls.caFile}" DefaultNetstreamDriverCertFile="${this.tls.certFile}" DefaultNetstreamDriverKeyFile="${this.tls.keyFile}"` : ''})`,
      // What it accepted it keeps across a stop: the queue is saved to the work directory on
      // shutdown and picked up at the next start (rsyslog's "no loss on restart" setup).
      'main_queue(queue.type="LinkedList" queue.filename="mainq" queue.saveOnShutdown="on" queue.timeoutShutdown="10000")',
      this.tls
        ? 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")'
        : 'module(load="imtcp")',
      `input(type="imtcp" address="127.0.0.1" port="${this.port}")`,
      `template(name="fields" type="string" string="%msgid%${tab}%structured-data%${tab}%app-name%${tab}%hostname%${tab}%pri%${tab}%msg%\\n")`,
      `action(type="omfile" file="${this.output}" template="fields")`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /**
   * Starts rsyslogd and resolves once it accepts connections. The port is fixed (the sink under
   * test is configured with it), so when rsyslogd exits before listening (another process took
   * the port for a moment, say an outgoing connection's ephemeral port) it is tried again a few
   * times before giving up with rsyslog's own error output.
   */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error('rsyslogd is already running');
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (error) {
        lastError = error as Error;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
    throw lastError!;
  }

  private async startOnce(): Promise<void> {
    this.stderr = '';
    const child = spawn(RSYSLOGD, ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslog.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const giveUp = new AbortController();
    const exited = new Promise<void>((resolve) => {
      const onExit = (code: number | null) => {
        giveUp.abort(new Error(`rsyslogd exited with ${code} before listening: ${this.stderr}`));
        resolve();
      };
      child.once('exit', onExit);
      // Once listening, a later exit is stop()'s business, not start()'s.
      giveUp.signal.addEventListener('abort', () => child.off('exit', onExit), { once: true });
    });
    try {
      await this.waitListening(giveUp.signal);
      giveUp.abort();
    } catch (error) {
      giveUp.abort();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (this.child === child) this.child = null;
      throw error;
    }
  }

  /** Polls with plain TCP connects (rsyslog has no readiness signal) until one is accepted. */
  private async waitListening(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      signal.throwIfAborted();
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: this.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      signal.throwIfAborted();
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`rsyslogd did not listen on ${this.port} within 15 s: ${this.stderr}`);
  }

  /** Orderly stop (SIGTERM: rsyslog finishes what it has read), resolves when it exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  messages(): ReceivedMessage[] {
    if (!existsSync(this.output)) return [];
    return readFileSync(this.output, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [msgid, structuredData, appName, hostname, pri, ...rest] = line.split('\t');
        return {
          msgid: msgid ?? '',
          structuredData: structuredData ?? '',
          appName: appName ?? '',
          hostname: hostname ?? '',
          pri: Number(pri),
          msg: rest.join('\t').replace(/^\uFEFF/, ''),
        };
      });
  }

  /** Resolves once `count` messages are in the output file (omfile writes asynchronously). */
  async waitForMessages(count: number): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const messages = this.messages();
      if (messages.length >= count) return messages;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`within 15 s rsyslog wrote ${this.messages().length} of ${count} messages: ${this.stderr}`);
  }
}
