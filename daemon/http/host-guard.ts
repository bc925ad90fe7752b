// DNS-rebinding and cross-site protection for a loopback daemon: the Host header must be one
// of our own names (localhost, 127.0.0.1, [::1] with the listen port) or a configured one;
// an empty Host, any other IP (private or public) or name is refused. A browser Origin must
// be our own or one configured in cors_origins, and only those get CORS headers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../shared/errors.js';
import type { Config } from '../../shared/schemas/config.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface HostGuardOptions {
  readonly config: Pick<Config, 'allowed_hosts' | 'cors_origins'>;
  /** The port actually listened on (known only after listen when configured as 0). */
  readonly port: () => number;
}

interface Allowlists {
  readonly hosts: ReadonlySet<string>;
  readonly ownOrigins: ReadonlySet<string>;
  readonly corsOrigins: ReadonlySet<string>;
}

function buildAllowlists(options: HostGuardOptions): Allowlists {
  const port = options.port();
  const hosts = new Set<string>();
  const ownOrigins = new Set<string>();
  for (const name of LOOPBACK_NAMES) {
    hosts.add(`${name}:${port}`);
    ownOrigins.add(`http://${name}:${port}`);
  }
  for (const name of options.config.allowed_hosts) {
    const host = name.toLowerCase();
    hosts.add(host);
    // A configured bare name also matches with our port (reverse proxies keep the port).
    if (!host.includes(':') || host.endsWith(']')) hosts.add(`${host}:${port}`);
  }
  return { hosts, ownOrigins, corsOrigins: new Set(options.config.cors_origins) };
}

export function registerHostGuard(app: FastifyInstance, options: HostGuardOptions): void {
  let lists: Allowlists | undefined;
  const corsConfigured = options.config.cors_origins.length > 0;

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    lists ??= buildAllowlists(options);
    const host = request.headers.host;
    if (host === undefined || host === '' || !lists.hosts.has(host.toLowerCase())) {
      done(new GatewayError('foreign_host', 'Host header is not an allowed name for this gateway (DNS rebinding protection). Add it to allowed_hosts if it is yours.'));
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (lists.corsOrigins.has(origin)) {
        reply.header('access-control-allow-origin', origin);
        reply.header('vary', 'Origin');
        reply.header('access-control-expose-headers', 'x-kagami-trace-id, traceparent, x-kagami-provider, x-kagami-endpoint, x-kagami-upstream-model');
      } else if (!lists.ownOrigins.has(origin)) {
        done(new GatewayError('foreign_origin', `Origin '${origin}' is not allowed. Add it to cors_origins to allow browser access.`));
        return;
      }
    }
    done();
  });

  if (corsConfigured) {
    // Preflight for configured origins only (the guard above already refused the others).
    app.options('/*', (request, reply) => {
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'authorization, content-type')
        .header('access-control-max-age', '600')
        .send();
    });
  }
}
