// Syslog over TCP (RFC 6587 octet counting) or TLS (RFC 5425). Plain syslog has no
// application-level acknowledgement, so "written to the socket" proves nothing when the
// collector dies a moment later. Each batch therefore goes over its own connection that we
// half-close after the last frame: the collector reads everything we sent before it sees our
// end-of-stream and closes its side, so its orderly close (FIN, or TLS close_notify + FIN)
// confirms the whole batch was read. A reset, a timeout or a refused connection fails the
// batch and the outbox resends it. "Read" is the most plain syslog can confirm: a collector
// that drops its in-memory queue when it stops loses what it read (rsyslog keeps it with
// `main_queue(queue.filename=… queue.saveOnShutdown="on")`, as the tests configure it).
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { SyslogSinkConfig } from '../../shared/schemas/siem.js';
import { DeliveryError, type SinkDefinition } from './sink.js';
import { formatSyslogMessage, frameOctetCounted, type SyslogFormatOptions } from './syslog-format.js';

export const syslogSink: SinkDefinition<SyslogSinkConfig> = {
  type: 'syslog',
  create(config, deps) {
    const format: SyslogFormatOptions = {
      facility: config.facility ?? 13,
      hostname: config.hostname ?? (deps.hostname.replace(/[^!-~]/g, '') || '-'),
      appName: config.app_name ?? 'kagami',
      procId: String(process.pid),
      body: config.format ?? 'json',
      version: deps.version,
    };
    // SNI carries host names only (RFC 6066); an IP target is still checked against the certificate's IP SANs.
    const serverName = config.tls?.server_name ?? (isIP(config.host) === 0 ? config.host : undefined);
    const tls = config.transport === 'tls'
      ? {
          ...(config.tls?.ca_file ? { ca: deps.readFile(config.tls.ca_file) } : {}),
          ...(config.tls?.cert_file ? { cert: deps.readFile(config.tls.cert_file) } : {}),
          ...(config.tls?.key_file ? { key: deps.readFile(config.tls.key_file) } : {}),
          ...(serverName === undefined ? {} : { servername: serverName }),
        }
      : null;
    const target = `${config.transport}://${config.host}:${config.port}`;

    function open(): Socket {
      return tls === null
        ? tcpConnect({ host: config.host, port: config.port })
        : tlsConnect({ host: config.host, port: config.port, ...tls });
    }

    return {
      id: config.id,
      type: 'syslog',
      send(events, signal) {
        const payload = Buffer.concat(events.map((event) => frameOctetCounted(formatSyslogMessage(event, format))));
        return new Promise<void>((resolve, reject) => {
          const socket = open();
          let peerEnded = false;
          let settled = false;
          const finish = (error: Error | null) => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            socket.destroy();
            if (error) reject(error);
            else resolve();
          };
          const onAbort = () => finish(new DeliveryError(`${target}: delivery aborted (timeout or shutdown)`));
          signal.addEventListener('abort', onAbort, { once: true });
          socket.once(tls === null ? 'connect' : 'secureConnect', () => {
            socket.end(payload);
          });
          socket.on('data', () => {}); // a collector may talk back; keep reading so its FIN arrives
          socket.once('end', () => {
            peerEnded = true;
          });
          socket.once('error', (error) => finish(new DeliveryError(`${target}: ${error.message}`, { cause: error })));
          socket.once('close', (hadError) => {
            if (!hadError && peerEnded) finish(null);
            else finish(new DeliveryError(`${target}: connection closed before the collector confirmed the batch`));
          });
        });
      },
      close: async () => {},
    };
  },
};
