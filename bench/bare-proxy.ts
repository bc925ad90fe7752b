// A reference point for the gateway benchmark, not part of Kagami: the thinnest proxy the same
// stack allows (fastify + one undici Pool, the body re-serialized and passed through, no auth,
// policy, audit or events). What it adds over direct is what any Node proxy costs on this
// machine; what the gateway adds over it is Kagami's own pipeline.
// Usage (bench/gateway.ts spawns it): node --import tsx bench/bare-proxy.ts <upstream origin>
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = process.argv[2];
if (upstream === undefined) throw new Error('usage: bare-proxy.ts <upstream origin>');
const pool = new Pool(upstream, { connections: 256 });
const app = Fastify();

app.post('/v1/chat/completions', async (request, reply) => {
  const response = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  reply.code(response.statusCode).header('content-type', String(response.headers['content-type']));
  return reply.send(response.body);
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
console.log(`listening on http://127.0.0.1:${address.port}`);
process.once('SIGTERM', () => void app.close().then(() => pool.close()));
