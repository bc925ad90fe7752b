// `kagami mock-upstream`: the OpenAI-compatible simulator (daemon/mock-upstream/) standalone,
// every knob a flag, for demos, manual tests and benchmarks.
import { startMockUpstream } from '../mock-upstream/server.js';
import type { FaultPoint } from '../mock-upstream/server.js';
import { EXIT, integerFlag, numberFlag, parseFlags, UsageError } from './command.js';
import type { CliCommand } from './command.js';

const USAGE = `Usage: kagami mock-upstream [options]

Runs an OpenAI-compatible simulator: /v1/chat/completions (stream and not, tool calls),
/v1/completions, /v1/embeddings, /v1/models. Point a kagami provider (type: openai) at it.

Options:
  --host H                 listen address (default 127.0.0.1)
  --port N                 port (default 8766; 0 = any free port)
  --latency-ms N           delay before the response headers
  --first-byte-ms N        streams: delay between headers and the first chunk
  --chunk-count N          content chunks per reply (default: one per word)
  --chunk-size N           characters per chunk (reply = count × size characters;
                           with --echo, the echoed text cut into N-character chunks)
  --chunk-delay-ms N       streams: delay between chunks
  --reply TEXT             the assistant's reply text
  --echo                   reply with the last user message
  --no-tools               never answer with tool calls
  --embedding-dimensions N default embedding length (default 64)
  --models a,b             ids /v1/models lists (default kagami-sim-chat,kagami-sim-embed)
  --api-key-env NAME       require the key held in environment variable NAME
  --error-status N         status of injected errors (default 500)
  --error-rate R           fraction of requests (0..1) answered with that error
  --reset WHERE            drop the connection: before-headers | after-headers | mid-stream
  --reset-rate R           fraction of requests reset (default 1 when --reset is given)
  --stall WHERE            go silent: before-headers | after-headers | mid-stream
  --stall-rate R           fraction of requests stalled (default 1 when --stall is given)`;

const POINTS: readonly FaultPoint[] = ['before-headers', 'after-headers', 'mid-stream'];

function faultPoint(value: string | undefined, flag: string): FaultPoint | null {
  if (value === undefined) return null;
  if (!(POINTS as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${POINTS.join(', ')}`);
  return value as FaultPoint;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'latency-ms': { type: 'string' },
    'first-byte-ms': { type: 'string' },
    'chunk-count': { type: 'string' },
    'chunk-size': { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
    reply: { type: 'string' },
    echo: { type: 'boolean' },
    'no-tools': { type: 'boolean' },
    'embedding-dimensions': { type: 'string' },
    models: { type: 'string' },
    'api-key-env': { type: 'string' },
    'error-status': { type: 'string' },
    'error-rate': { type: 'string' },
    reset: { type: 'string' },
    'reset-rate': { type: 'string' },
    stall: { type: 'string' },
    'stall-rate': { type: 'string' },
  });
  let apiKey: string | null = null;
  if (values['api-key-env'] !== undefined) {
    apiKey = process.env[values['api-key-env']] ?? null;
    if (apiKey === null || apiKey === '') throw new UsageError(`environment variable ${values['api-key-env']} is not set`);
  }
  if (values.echo && values['chunk-size'] !== undefined && values['chunk-count'] !== undefined) {
    throw new UsageError('--echo sets the reply text: give it --chunk-size or --chunk-count, not both');
  }
  const minute = 60_000;
  const server = await startMockUpstream({
    host: values.host ?? '127.0.0.1',
    port: integerFlag(values.port, 'port', 0, 65535) ?? 8766,
    latencyMs: integerFlag(values['latency-ms'], 'latency-ms', 0, 10 * minute),
    firstByteMs: integerFlag(values['first-byte-ms'], 'first-byte-ms', 0, 10 * minute),
    chunkCount: integerFlag(values['chunk-count'], 'chunk-count', 1, 100_000) ?? null,
    chunkSize: integerFlag(values['chunk-size'], 'chunk-size', 1, 1_000_000) ?? null,
    chunkDelayMs: integerFlag(values['chunk-delay-ms'], 'chunk-delay-ms', 0, minute),
    ...(values.reply !== undefined ? { reply: values.reply } : {}),
    echo: values.echo ?? false,
    toolCalls: !(values['no-tools'] ?? false),
    embeddingDimensions: integerFlag(values['embedding-dimensions'], 'embedding-dimensions', 1, 4096),
    ...(values.models !== undefined ? { models: values.models.split(',').filter((m) => m !== '') } : {}),
    apiKey,
    faults: {
      errorStatus: integerFlag(values['error-status'], 'error-status', 400, 599),
      errorRate: numberFlag(values['error-rate'], 'error-rate', 0, 1) ?? (values['error-status'] !== undefined ? 1 : 0),
      reset: faultPoint(values.reset, 'reset'),
      resetRate: numberFlag(values['reset-rate'], 'reset-rate', 0, 1),
      stall: faultPoint(values.stall, 'stall'),
      stallRate: numberFlag(values['stall-rate'], 'stall-rate', 0, 1),
    },
  });
  process.stdout.write(`kagami mock-upstream listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  const { requests, completed, aborted, errors, resets, stalls } = server.stats;
  process.stderr.write(`mock-upstream: ${requests} requests, ${completed} completed, ${aborted} aborted by clients, ${errors} errors, ${resets} resets, ${stalls} stalls\n`);
  return EXIT.ok;
}

export const command: CliCommand = { summary: 'run the OpenAI-compatible simulator (latency, chunking, faults)', usage: USAGE, run };
