// The one conformance suite every provider wire runs (hono's common.case.test idea): each
// adapter's test file lists its recorded cases and calls runWireConformance(). It checks
// - translated requests against the real requests the fixtures recorded,
// - recorded JSON answers → OpenAI chat.completion (text, tool calls, finish_reason, usage),
// - recorded byte streams → OpenAI chunks, served whole, byte by byte and cut at awkward
//   offsets (inside UTF-8 characters, between \r and \n, inside AWS frame headers): every cut
//   must give the same chunks,
// - recorded error bodies → GatewayError with the right status and code.
// The HTTP half (replay servers, the real daemon, the official SDKs) is in matrix.test.ts.
import { describe, expect, it } from 'vitest';
import type { JsonObject, Usage } from '../../daemon/pipeline/context.js';
import type { ProviderConnection, Wire, WireCall } from '../../daemon/providers/types.js';
import { isGatewayError } from '../../shared/errors.js';
import { splits } from './fixtures.js';

export interface ExpectedAnswer {
  text?: string;
  reasoning?: string;
  toolCalls?: { name: string; arguments: unknown; id?: string }[];
  finishReason: string;
  usage: Usage;
  model?: string;
}

export interface RequestCase {
  name: string;
  call: Partial<WireCall> & { body: JsonObject };
  /** The body the provider really received (from the recording), compared after `omit`. */
  recorded: JsonObject;
  path?: string | RegExp;
  /** Keys of the recorded body our translation deliberately does not send (documented why). */
  omit?: string[];
  /** Keys we send that the recording lacks (e.g. max_tokens defaults). */
  extra?: string[];
}

export interface AnswerCase {
  name: string;
  raw: string;
  body?: JsonObject;
  expect: ExpectedAnswer;
}

export interface StreamCase {
  name: string;
  bytes: Buffer;
  awsFrames?: boolean;
  body?: JsonObject;
  expect: ExpectedAnswer;
}

export interface ErrorCase {
  name: string;
  status: number;
  raw: string;
  headers?: Record<string, string>;
  expect: { status: number; code: string; message?: RegExp; headers?: Record<string, string> };
}

export interface ThrowingCase {
  name: string;
  body: JsonObject;
  expect: { code: string; param?: string };
}

export interface WireConformanceSpec {
  name: string;
  wire: Wire;
  connection: ProviderConnection;
  upstreamModel: string;
  requests: RequestCase[];
  answers: AnswerCase[];
  streams: StreamCase[];
  errors: ErrorCase[];
  rejects?: ThrowingCase[];
}

export function connection(type: string, options: Record<string, unknown> = {}, secrets: Record<string, string> = {}): ProviderConnection {
  return { id: type, type, baseUrl: 'http://127.0.0.1:1', options, secrets };
}

const basicChat: JsonObject = { model: 'alias', messages: [{ role: 'user', content: 'hi' }] };

export function runWireConformance(spec: WireConformanceSpec): void {
  const call = (partial: Partial<WireCall> & { body?: JsonObject }): WireCall => ({
    op: 'chat',
    stream: false,
    upstreamModel: spec.upstreamModel,
    connection: spec.connection,
    ...partial,
    body: { ...(partial.body ?? basicChat), model: partial.upstreamModel ?? spec.upstreamModel },
  });

  describe(`${spec.name} wire conformance`, () => {
    describe.runIf(spec.requests.length > 0)('translated requests match the recorded real requests', () => {
      for (const c of spec.requests) {
        it(c.name, () => {
          const built = spec.wire.buildRequest(call({ ...c.call, stream: c.call.stream ?? c.call.body['stream'] === true }));
          expect(built.method).toBe('POST');
          if (c.path !== undefined) expect(built.path).toMatch(c.path);
          const sent = JSON.parse(String(built.body)) as JsonObject;
          const recorded = { ...c.recorded };
          for (const key of c.omit ?? []) delete recorded[key];
          for (const key of c.extra ?? []) delete sent[key];
          expect(sent).toEqual(recorded);
        });
      }
    });

    describe.runIf(spec.answers.length > 0)('recorded JSON answers become OpenAI chat.completion bodies', () => {
      for (const c of spec.answers) {
        it(c.name, () => {
          const result = spec.wire.parseResponse(c.raw, call({ body: c.body ?? basicChat }));
          expect(result.body['object']).toBe('chat.completion');
          checkAnswer(answerOf(result.body), c.expect);
          expect(result.usage).toEqual(c.expect.usage);
        });
      }
    });

    describe.runIf(spec.streams.length > 0)('recorded streams become OpenAI chunks, however the bytes are split', () => {
      for (const c of spec.streams) {
        for (const split of splits(c.bytes, c.awsFrames)) {
          it(`${c.name} (${split.name})`, () => {
            const decoder = spec.wire.createStreamDecoder(call({ body: c.body ?? basicChat, stream: true }));
            const chunks: JsonObject[] = [];
            for (const part of split.parts) chunks.push(...decoder.push(new Uint8Array(part)));
            chunks.push(...decoder.end());
            for (const chunk of chunks) {
              expect(chunk['object']).toBe('chat.completion.chunk');
              expect(Array.isArray(chunk['choices'])).toBe(true);
            }
            checkAnswer(answerOfChunks(chunks), c.expect);
            expect(decoder.usage()).toEqual(c.expect.usage);
          });
        }
      }
    });

    describe.runIf(spec.errors.length > 0)('recorded error bodies become GatewayErrors', () => {
      for (const c of spec.errors) {
        it(c.name, () => {
          const error = spec.wire.mapError(c.status, c.raw, c.headers ?? {}, call({}));
          expect(isGatewayError(error)).toBe(true);
          expect(error.status).toBe(c.expect.status);
          expect(error.code).toBe(c.expect.code);
          if (c.expect.message !== undefined) expect(error.message).toMatch(c.expect.message);
          if (c.expect.headers !== undefined) expect(error.headers).toMatchObject(c.expect.headers);
        });
      }
    });

    describe.runIf((spec.rejects ?? []).length > 0)('requests the upstream cannot serve are refused with a clear 400', () => {
      for (const c of spec.rejects ?? []) {
        it(c.name, () => {
          let thrown: unknown;
          try {
            spec.wire.buildRequest(call({ body: c.body }));
          } catch (error) {
            thrown = error;
          }
          expect(isGatewayError(thrown)).toBe(true);
          if (!isGatewayError(thrown)) return;
          expect(thrown.code).toBe(c.expect.code);
          expect(thrown.status).toBe(400);
          if (c.expect.param !== undefined) expect(thrown.param).toBe(c.expect.param);
        });
      }
    });
  });
}

interface Answer {
  text: string;
  reasoning: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | null;
  model: string;
}

function checkAnswer(actual: Answer, expected: ExpectedAnswer): void {
  expect(actual.text).toBe(expected.text ?? '');
  if (expected.reasoning !== undefined) expect(actual.reasoning).toBe(expected.reasoning);
  expect(actual.finishReason).toBe(expected.finishReason);
  const calls = actual.toolCalls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown, id: call.id }));
  expect(calls).toEqual(
    (expected.toolCalls ?? []).map((call) => (call.id === undefined ? { ...call, id: expect.any(String) } : call)),
  );
  for (const call of actual.toolCalls) expect(call.id).not.toBe('');
  if (expected.model !== undefined) expect(actual.model).toBe(expected.model);
}

/** The assistant answer of a chat.completion body. */
export function answerOf(body: JsonObject): Answer {
  const choice = (body['choices'] as JsonObject[])[0] as JsonObject;
  const message = choice['message'] as JsonObject;
  const toolCalls = ((message['tool_calls'] ?? []) as { id: string; function: { name: string; arguments: string } }[]).map((call) => ({
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
  }));
  return {
    text: typeof message['content'] === 'string' ? message['content'] : '',
    reasoning: typeof message['reasoning_content'] === 'string' ? message['reasoning_content'] : '',
    toolCalls,
    finishReason: choice['finish_reason'] as string | null,
    model: String(body['model']),
  };
}

/** Accumulates chat.completion.chunk objects the way OpenAI clients do. */
export function answerOfChunks(chunks: JsonObject[]): Answer {
  const answer: Answer = { text: '', reasoning: '', toolCalls: [], finishReason: null, model: '' };
  for (const chunk of chunks) {
    answer.model = String(chunk['model']);
    for (const choice of chunk['choices'] as JsonObject[]) {
      const delta = (choice['delta'] ?? {}) as JsonObject;
      if (typeof delta['content'] === 'string') answer.text += delta['content'];
      if (typeof delta['reasoning_content'] === 'string') answer.reasoning += delta['reasoning_content'];
      for (const call of (delta['tool_calls'] ?? []) as { index: number; id?: string; function?: { name?: string; arguments?: string } }[]) {
        const slot = (answer.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
        if (call.id !== undefined) slot.id = call.id;
        if (call.function?.name !== undefined) slot.name += call.function.name;
        if (call.function?.arguments !== undefined) slot.arguments += call.function.arguments;
      }
      if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) answer.finishReason = String(choice['finish_reason']);
    }
  }
  return answer;
}
