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
      this.tls
        ? 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")'
        : 'module(load="imtcp")',
      `input(type="imtcp" address="127.0.0.1" port="${this.port}")`,
      `template(name="fields" type="string" string="%msgid%${tab}%structured-data%${tab}%app-name%${tab}%hostname%${tab}%pri%${tab}%msg%\\n")`,
      `action(type="omfile" file="${this.output}" template="fields")`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /** Starts rsyslogd and resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = spawn(RSYSLOGD, ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslog.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    let onExit: ((code: number | null) => void) | null = null;
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`rsyslogd exited with ${code} before listening: ${this.stderr}`));
      child.once('exit', onExit);
    });
    try {
      await Promise.race([this.waitListening(), exited]);
    } finally {
      if (onExit) child.off('exit', onExit);
    }
  }

  private async waitListening(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: this.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`rsyslogd did not listen on ${this.port}: ${this.stderr}`);
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
    for (let attempt = 0; attempt < 400; attempt++) {
      const messages = this.messages();
      if (messages.length >= count) return messages;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`rsyslog wrote ${this.messages().length} of ${count} messages: ${this.stderr}`);
  }
}
