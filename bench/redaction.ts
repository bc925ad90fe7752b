// English/global redaction cost (issue 4):
// - ASCII-only 1 KB prompt: what the redactPrompt stage adds on the request path: the PII scan
//   (every registered detector) + applying the actions to a copy of the body. Two prompts of
//   real sentences (test/eval/datasets/en-presidio-synth.jsonl): one with its PII, one with the
//   PII values cut out. Target: p50 ≤ 0.1 ms.
// - Streams: the answer-side redactor over real token-sized chunks (the o200k tokenizer's pieces
//   of the same sentences): CPU per chunk, characters held back after each chunk (what the
//   client does not have yet), and the added time-to-first-token: a stream whose chunks arrive
//   every INTERVAL_MS through the real stage, first visible text with redaction on vs off;
//   the same for Japanese text (the kuromoji analyzer in its worker), and through the real daemon
//   (buildApp on loopback, the mock upstream, the official openai client).
import fs from 'node:fs';
import path from 'node:path';
import { encode, decode } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { startMockUpstream } from '../daemon/mock-upstream/server.js';
import type { JsonObject, Outcome, RequestContext } from '../daemon/pipeline/context.js';
import { createRedactPrompt } from '../daemon/pipeline/redact-prompt.js';
import { createRedactionEngine } from '../daemon/redaction/engine.js';
import { createJapaneseAnalyzer } from '../daemon/redaction/ja/analyzer.js';
import { PseudonymTable } from '../daemon/redaction/pseudonyms.js';
import { redactRequest } from '../daemon/redaction/redact-request.js';
import { createResponseRedaction } from '../daemon/redaction/redact-response.js';
import { createPiiScanner } from '../daemon/redaction/scanner.js';
import { resolveRedactionSettings } from '../daemon/redaction/settings.js';
import { StreamRedactor } from '../daemon/redaction/stream-redactor.js';
import { startGateway } from '../test/support/gateway.js';

const TARGET_P50_MS = 0.1;
const ITERATIONS = 20_000;
const INTERVAL_MS = 20; // 50 tokens/s, a typical streaming rate
const STREAMS = 40;

interface EvalRecord {
  text: string;
  spans: { type: string; start: number; end: number }[];
}

function records(): EvalRecord[] {
  const file = path.join(import.meta.dirname, '..', 'test', 'eval', 'datasets', 'en-presidio-synth.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as EvalRecord)
    .filter((record) => /^[\x20-\x7e\n]*$/.test(record.text));
}

/** Whole sentences joined while they fit in 1,024 characters, padded with plain prose to exactly 1,024. */
function prompt1k(texts: readonly string[]): string {
  let out = '';
  for (const text of texts) {
    if (out.length + text.length + 1 > 1024) continue;
    out += (out === '' ? '' : ' ') + text.replace(/\s+/g, ' ');
  }
  return (out + ' ' + 'The meeting is moved to the afternoon. '.repeat(30)).slice(0, 1024);
}

/** A seeded PRNG (mulberry32): the same "never seen" prompts on every run. */
function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` 1 KB prompts no request has sent before: the PII sentences in a random order, each
 * phone number's last four digits redrawn (a new subscriber in the same valid range). The phone
 * verdict memo is the only state kept between requests, so every number is new to it; the other
 * values cost the same seen or not.
 */
function unseenPrompts(withPii: readonly EvalRecord[], count: number, random: () => number): string[] {
  const prompts: string[] = [];
  for (let n = 0; n < count; n++) {
    const texts = withPii.map((record) => {
      let text = record.text;
      for (const span of record.spans) {
        if (span.type !== 'PHONE') continue;
        const value = text.slice(span.start, span.end);
        let left = value.replace(/\D/g, '').length;
        const fresh = value.replace(/\d/g, (digit) => (left-- > 4 ? digit : String(Math.floor(random() * 10))));
        text = text.slice(0, span.start) + fresh + text.slice(span.end);
      }
      return text;
    });
    for (let i = texts.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [texts[i], texts[j]] = [texts[j] as string, texts[i] as string];
    }
    prompts.push(prompt1k(texts));
  }
  return prompts;
}

function withoutPii(record: EvalRecord): string {
  let text = record.text;
  for (const span of [...record.spans].sort((a, b) => b.start - a.start)) text = text.slice(0, span.start) + text.slice(span.end);
  return text;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

function contextFor(body: JsonObject): RequestContext {
  return {
    traceId: 'bench',
    request: { op: 'chat', body: { model: 'm', ...body } },
    dataClasses: new Set<string>(),
    annotations: {},
  } as unknown as RequestContext;
}

/**
 * Redaction cost of each prompt in `prompts`, cycled for `iterations` runs after `warmUp` runs
 * (not measured). Distinct prompts measure values seen for the first time (the phone verdict
 * memo is cold); one prompt repeated is a conversation re-sending its history.
 */
async function measurePrompt(label: string, prompts: readonly string[], iterations: number, warmUp = prompts.length > 1 ? 0 : 2_000): Promise<void> {
  const settings = resolveRedactionSettings(undefined);
  // As the daemon runs by default: a Japanese analyzer configured (it never starts for ASCII
  // text, but every text is checked for Japanese script).
  const japanese = createJapaneseAnalyzer();
  const scanner = createPiiScanner({ engine: createRedactionEngine({ settings, japanese }) });
  const bodies = prompts.map((text) => ({ model: 'm', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: text }] }));
  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < iterations + warmUp; i++) {
    const body = bodies[i % bodies.length] as (typeof bodies)[number];
    const start = performance.now();
    // A fresh context per request: the scan is memoised per request, as in the pipeline.
    const scan = await scanner.scan(contextFor(body));
    const result = redactRequest(body, scan, (type) => settings.actions[type], new PseudonymTable());
    const elapsed = performance.now() - start;
    if (i >= warmUp) times.push(elapsed);
    findings += result.findings.length;
  }
  await japanese.close();
  times.sort((a, b) => a - b);
  const p50 = quantile(times, 0.5);
  const perPrompt = (findings / (iterations + warmUp)).toFixed(1);
  console.log(
    `${label.padEnd(46)} ${perPrompt.padStart(4)} findings/prompt: p50 ${us(p50)}  p90 ${us(quantile(times, 0.9))}  p99 ${us(quantile(times, 0.99))}  ${p50 <= TARGET_P50_MS ? 'OK' : 'ABOVE TARGET'} (≤ ${us(TARGET_P50_MS)})`,
  );
}

/** A chat.completion.chunk stream of `pieces`, each after `interval` ms (0: all at once). */
async function* upstreamChunks(pieces: readonly string[], interval: number, sent: number[]): AsyncIterable<JsonObject> {
  for (const [i, piece] of pieces.entries()) {
    if (interval > 0) await new Promise((resolve) => setTimeout(resolve, interval));
    sent.push(performance.now());
    yield { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: i === pieces.length - 1 ? 'stop' : null }] };
  }
}

function tokenPieces(text: string): string[] {
  return encode(text).map((token) => decode([token]));
}

/** CPU per chunk and characters held back, all chunks at once (no waiting). */
async function measureStreamCost(answers: readonly string[]): Promise<void> {
  const engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese: null });
  const perChunk: number[] = [];
  let heldSum = 0;
  let maxHeld = 0;
  let chunks = 0;
  let chars = 0;
  for (const answer of answers) {
    const pieces = tokenPieces(answer);
    const response = createResponseRedaction({ engine, pseudonyms: new PseudonymTable(), scan: true, responseActionFor: () => 'mask', onFinding: () => {} });
    let last = performance.now();
    for await (const _chunk of response.redactStream(upstreamChunks(pieces, 0, []))) {
      const now = performance.now();
      perChunk.push(now - last);
      last = now;
    }
    // Characters held after each chunk (the client does not have them yet).
    const { max, mean } = response.holdStats();
    maxHeld = Math.max(maxHeld, max);
    heldSum += mean * pieces.length;
    chunks += pieces.length;
    chars += answer.length;
  }
  perChunk.sort((a, b) => a - b);
  console.log(`stream redaction over ${answers.length} answers (${chars} chars, ${chunks} token chunks, ${(chars / chunks).toFixed(1)} chars/chunk):`);
  console.log(`  CPU per chunk: p50 ${us(quantile(perChunk, 0.5))}  p99 ${us(quantile(perChunk, 0.99))}`);
  console.log(`  characters held back after a chunk: mean ${(heldSum / chunks).toFixed(1)}, max ${maxHeld}`);
}

/** Time from the first upstream chunk to the first visible text at the client, through the stage. */
async function firstTextDelay(pieces: readonly string[], enabled: boolean): Promise<number> {
  const stage = createRedactPrompt({ config: { redaction: { enabled, scan_responses: true, allow_values: [], japanese: false, japanese_max_chars: 300_000, japanese_preload: false } }, japaneseAnalyzer: null });
  const sent: number[] = [];
  const outcome: Outcome = await stage(contextFor({ messages: [{ role: 'user', content: 'hi' }], stream: true }), async () => ({
    kind: 'stream',
    status: 200,
    events: upstreamChunks(pieces, INTERVAL_MS, sent),
  }));
  if (outcome.kind !== 'stream') throw new Error('expected a stream');
  let delay = NaN;
  for await (const chunk of outcome.events) {
    const content = (chunk.choices as { delta?: { content?: string } }[])[0]?.delta?.content ?? '';
    if (content !== '' && Number.isNaN(delay)) delay = performance.now() - (sent[0] ?? 0);
  }
  return delay;
}

async function measureTimeToFirstToken(answers: readonly string[]): Promise<void> {
  const on: number[] = [];
  const off: number[] = [];
  for (const answer of answers.slice(0, STREAMS)) {
    const pieces = tokenPieces(answer).slice(0, 12);
    off.push(await firstTextDelay(pieces, false));
    on.push(await firstTextDelay(pieces, true));
  }
  on.sort((a, b) => a - b);
  off.sort((a, b) => a - b);
  const added = quantile(on, 0.5) - quantile(off, 0.5);
  console.log(`time to first visible text, chunks every ${INTERVAL_MS} ms (${STREAMS} streams):`);
  console.log(`  redaction off: p50 ${quantile(off, 0.5).toFixed(2)} ms   on: p50 ${quantile(on, 0.5).toFixed(2)} ms, p90 ${quantile(on, 0.9).toFixed(2)} ms   added p50 ${added.toFixed(2)} ms`);
}

/**
 * Japanese streams (redaction-ja's analyzer in its worker): per-chunk latency, characters held
 * back, and how many chunks pass before the first visible text (two characters per chunk, about
 * one token, over Japanese Wikipedia sentences).
 */
async function measureJapaneseStream(): Promise<void> {
  const file = path.join(import.meta.dirname, '..', 'test', 'eval', 'datasets', 'ja-names.jsonl');
  const texts = fs.readFileSync(file, 'utf8').trim().split('\n').slice(0, 300).map((line) => (JSON.parse(line) as { text: string }).text);
  const japanese = createJapaneseAnalyzer();
  try {
    const engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese });
    await engine.detect('山田太郎さん'); // load the dictionary first: this measures streaming, not start-up
    const perChunk: number[] = [];
    const firstText: number[] = [];
    let heldSum = 0;
    let pushes = 0;
    let maxHeld = 0;
    for (const text of texts) {
      const redactor = new StreamRedactor({ engine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
      let first = -1;
      for (let i = 0, chunk = 1; i < text.length; i += 2, chunk++) {
        const start = performance.now();
        const out = await redactor.push(text.slice(i, i + 2));
        perChunk.push(performance.now() - start);
        if (out !== '' && first === -1) first = chunk;
      }
      await redactor.flush();
      firstText.push(first === -1 ? Math.ceil(text.length / 2) + 1 : first);
      heldSum += redactor.heldTotal;
      pushes += redactor.pushes;
      maxHeld = Math.max(maxHeld, redactor.maxHeld);
    }
    perChunk.sort((a, b) => a - b);
    firstText.sort((a, b) => a - b);
    console.log(`Japanese stream redaction over ${texts.length} sentences (${perChunk.length} chunks of 2 characters, analyzer in its worker):`);
    console.log(`  latency per chunk: p50 ${us(quantile(perChunk, 0.5))}  p99 ${us(quantile(perChunk, 0.99))}`);
    console.log(`  characters held back after a chunk: mean ${(heldSum / pushes).toFixed(1)}, max ${maxHeld}`);
    console.log(`  first visible text after chunk: p50 ${quantile(firstText, 0.5)}, p90 ${quantile(firstText, 0.9)} (without redaction: 1)`);
  } finally {
    await japanese.close();
  }
}

const DAEMON_REPLIES: [string, string, number | null][] = [
  ['English, one word per chunk', 'Thanks for reaching out. I checked your invoice from last month and found a difference in the billed amount.', null],
  ['Japanese, 2 chars per chunk', '本日はお問い合わせいただき誠にありがとうございます。担当の山田太郎さんが確認いたしましたところ、書類は東京都渋谷区恵比寿１丁目１８－１にお送りしたとのことでした。', 2],
  ['Japanese without 、。, 2 chars per chunk', '本日はお問い合わせいただき誠にありがとうございます担当の山田太郎さんが確認いたしましたところ書類は東京都渋谷区恵比寿１丁目１８－１にお送りしたとのことでした', 2],
];

/**
 * Time from the request to the first visible content at an openai-SDK client, through the real
 * daemon (real SQLite, keys, audit) and the mock upstream sending a chunk every INTERVAL_MS,
 * redaction off and on. The stream is dropped once the first content arrived.
 */
async function measureDaemonFirstText(): Promise<void> {
  console.log(`time to first visible content through the daemon (openai client, mock upstream, a chunk every ${INTERVAL_MS} ms, p50 of 7):`);
  for (const [label, reply, charsPerChunk] of DAEMON_REPLIES) {
    const p50: number[] = [];
    for (const enabled of [false, true]) {
      const chunkCount = charsPerChunk === null ? null : Math.ceil(reply.length / charsPerChunk);
      const upstream = await startMockUpstream({ reply, chunkCount, chunkDelayMs: INTERVAL_MS, toolCalls: false });
      const gateway = await startGateway({
        config: {
          providers: [{ id: 'sim', type: 'openai', base_url: upstream.url }],
          models: [{ name: 'm', provider: 'sim', model: 'u', capabilities: { chat: true } }],
          redaction: { enabled },
        },
      });
      const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
      const times: number[] = [];
      try {
        for (let run = 0; run < 8; run++) {
          const start = performance.now();
          const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'こんにちは' }], stream: true });
          for await (const chunk of stream) {
            if ((chunk.choices[0]?.delta?.content ?? '') === '') continue;
            if (run > 0) times.push(performance.now() - start); // run 0 loads the dictionary
            break;
          }
        }
      } finally {
        await gateway.close();
        await upstream.close();
      }
      p50.push(quantile(times.sort((a, b) => a - b), 0.5));
    }
    const [off = NaN, on = NaN] = p50;
    console.log(`  ${label.padEnd(40)} off ${off.toFixed(0)} ms, on ${on.toFixed(0)} ms: added ${(on - off).toFixed(0)} ms`);
  }
}

export async function run(): Promise<void> {
  const all = records();
  const texts = all.map((record) => record.text);
  const piiRecords = all.filter((record) => record.spans.length > 0);
  const withPii = piiRecords.map((record) => record.text);
  const repeated = prompt1k(withPii);
  // Distinct 1 KB prompts sharing no sentence (values seen for the first time).
  const distinct: string[] = [];
  for (let used = 0; used < withPii.length; ) {
    const window = withPii.slice(used);
    const prompt = prompt1k(window);
    distinct.push(prompt);
    used += Math.max(1, window.findIndex((text) => !prompt.includes(text.replace(/\s+/g, ' '))));
  }
  // First: the process has run nothing yet (cold JIT, libphonenumber's first number of each country).
  await measurePrompt(`1 KB ASCII prompts, real PII, first ${distinct.length} after start`, distinct, distinct.length);
  await measurePrompt('1 KB ASCII prompt, real PII, repeated', [repeated], ITERATIONS);
  // Realistic traffic: every prompt new, measured once the process is warm (1,000 other new prompts first).
  const unseen = unseenPrompts(piiRecords, 3_000, seededRandom(4));
  await measurePrompt('1 KB ASCII prompts, real PII, 2,000 never seen', unseen, 2_000, 1_000);
  // The same at the dataset's own density (about one sentence in five carries PII, ~3 values per KB).
  const mixed = unseenPrompts(all, 3_000, seededRandom(5));
  await measurePrompt('1 KB ASCII prompts, dataset mix, 2,000 never seen', mixed, 2_000, 1_000);
  await measurePrompt('1 KB ASCII prompt, PII removed', [prompt1k(all.map(withoutPii))], ITERATIONS);
  const answers: string[] = [];
  for (let i = 0; i + 4 <= texts.length && answers.length < 200; i += 4) answers.push(texts.slice(i, i + 4).join(' '));
  await measureStreamCost(answers);
  await measureTimeToFirstToken(answers);
  await measureJapaneseStream();
  await measureDaemonFirstText();
}
