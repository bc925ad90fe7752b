// Japanese redaction throughput and memory (issue 4):
// - characters/second/core of raw kuromoji tokenization (the reference) vs the Japanese
//   detection that runs on top of it (tokenize + names + addresses + the structured detectors),
//   in-process on one core, then end to end through the analyzer worker (dist/, batched);
// - RSS of the real daemon (`kagami start`, a child process) before and after Japanese requests
//   loaded the dictionary, read from /proc.
// Corpus: the sentences of test/eval/datasets/ja-names.jsonl (Japanese Wikipedia, ~2.7k texts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeJapaneseText } from '../daemon/redaction/ja/analyze-text.js';
import kuromoji from 'kuromoji';
import { defaultDictionaryPath, loadTokenizer, type JapaneseToken } from '../daemon/redaction/ja/kuromoji-tokenizer.js';
import { detectors } from '../daemon/redaction/detectors/index.js';
import type * as analyzerModule from '../daemon/redaction/ja/analyzer.js';

type AnalyzerModule = typeof analyzerModule;

const root = path.join(import.meta.dirname, '..');

function corpus(): string[] {
  const file = path.join(root, 'test', 'eval', 'datasets', 'ja-names.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

/** Best-of-`rounds` characters per second of `work` over the whole corpus. */
function throughput(texts: string[], rounds: number, work: (text: string) => unknown): number {
  const chars = texts.reduce((n, text) => n + text.length, 0);
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (const text of texts) work(text);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, chars / seconds);
  }
  return best;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** VmRSS / VmHWM (peak) of a process, in MB, from /proc (Linux). */
function processMemory(pid: number): { rss: number; peak: number; threads: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS') / 1024, peak: field('VmHWM') / 1024, threads: field('Threads') };
}

/**
 * The real daemon (`node dist/daemon/main.js start`, embedded defaults: the local simulator
 * upstream) in a throwaway HOME/data dir. RSS is read from /proc after ASCII-only requests
 * (the analyzer must not have started) and again after Japanese requests loaded the dictionary.
 */
async function measureDaemonMemory(texts: readonly string[]): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kagami-bench-ja-'));
  const daemon = spawn(process.execPath, [path.join(root, 'dist/daemon/main.js'), 'start', '--port', '0', '--data-dir', path.join(home, 'data')], {
    cwd: home,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), KAGAMI_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let banner = '';
    const ready = await new Promise<{ url: string; key: string }>((resolve, reject) => {
      daemon.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before it was ready`)));
      daemon.stdout.on('data', (chunk: Buffer) => {
        banner += chunk.toString();
        const url = /OpenAI base URL:\s+(\S+)/.exec(banner)?.[1];
        const key = /(sk-kagami-\S+)/.exec(banner)?.[1];
        if (url !== undefined && key !== undefined) resolve({ url, key });
      });
    });
    const ask = async (content: string): Promise<void> => {
      const response = await fetch(`${ready.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ready.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'kagami-sim-chat', messages: [{ role: 'user', content }] }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`chat request failed: HTTP ${response.status}`);
    };
    const pid = daemon.pid!;
    for (let i = 0; i < 50; i++) await ask(`Summarise ticket ${i}: the printer on floor 3 is jammed again.`);
    const ascii = processMemory(pid);
    for (let i = 0; i < texts.length; i += 10) await Promise.all(texts.slice(i, i + 10).map(ask));
    const japanese = processMemory(pid);
    console.log(
      `daemon RSS (real \`kagami start\`, /proc): ${ascii.rss.toFixed(0)} MB after 50 ASCII requests (${ascii.threads} threads: analyzer not started), ` +
        `${japanese.rss.toFixed(0)} MB after ${texts.length} Japanese requests with the dictionary loaded (${japanese.threads} threads; peak ${japanese.peak.toFixed(0)} MB; target <= 350 MB)`,
    );
  } finally {
    daemon.kill('SIGTERM');
    await once(daemon, 'exit');
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/**
 * What the first Japanese text waits for: the dictionary load, on that request (default), or
 * nothing once redaction.japanese_preload loaded it in the background at start (compiled dist/
 * analyzer, a fresh worker each time).
 */
async function measureFirstRequest(text: string): Promise<void> {
  const { createJapaneseAnalyzer } = (await import(path.join(root, 'dist/daemon/redaction/ja/analyzer.js'))) as AnalyzerModule;
  const lazy = createJapaneseAnalyzer();
  let start = performance.now();
  await lazy.detect(text);
  const lazyMs = performance.now() - start;
  await lazy.close();

  const preloaded = createJapaneseAnalyzer();
  start = performance.now();
  await preloaded.warmup(); // what the engine starts at daemon start with japanese_preload
  const loadMs = performance.now() - start;
  start = performance.now();
  await preloaded.detect(text);
  const firstMs = performance.now() - start;
  await preloaded.close();
  console.log(
    `first Japanese text: ${lazyMs.toFixed(0)} ms (dictionary loaded on it); with japanese_preload ${firstMs.toFixed(1)} ms ` +
      `(the background load at start took ${loadMs.toFixed(0)} ms of a worker thread)`,
  );
}

export async function run(): Promise<void> {
  const texts = corpus();
  const chars = texts.reduce((n, text) => n + text.length, 0);
  const tokenizer = await loadTokenizer();
  const japaneseDetectors = detectors.filter((detector) => detector.id.startsWith('jp-'));

  // Warm the JIT on both paths before timing.
  throughput(texts.slice(0, 300), 1, (text) => tokenizer.tokenize(text));
  throughput(texts.slice(0, 300), 1, (text) => analyzeJapaneseText(tokenizer, text));

  // Raw kuromoji tokenization, the reference: kuromoji's own loader and tokenizer. Ours
  // gives the same tokens from a smaller dictionary in memory, and faster (a linear word search,
  // see kuromoji-tokenizer.ts), so both are timed: detection against kuromoji, and against our
  // tokenizing alone (what detection adds on top of it).
  const stock = await new Promise<kuromoji.Tokenizer<JapaneseToken>>((resolve, reject) => {
    kuromoji.builder({ dicPath: defaultDictionaryPath() }).build((error, built) => (error ? reject(error) : resolve(built)));
  });
  throughput(texts.slice(0, 300), 1, (text) => stock.tokenize(text));

  // Interleaved rounds, best of each: the machine is shared, so a slow round says little.
  let raw = 0;
  let rawStock = 0;
  let detection = 0;
  for (let round = 0; round < 5; round++) {
    raw = Math.max(raw, throughput(texts, 1, (text) => tokenizer.tokenize(text)));
    rawStock = Math.max(rawStock, throughput(texts, 1, (text) => stock.tokenize(text)));
    detection = Math.max(
      detection,
      throughput(texts, 1, (text) => {
        analyzeJapaneseText(tokenizer, text);
        for (const detector of japaneseDetectors) detector.detect(text);
      }),
    );
  }

  // End to end through the worker (compiled dist/ path, as the daemon runs it).
  const { createJapaneseAnalyzer } = (await import(path.join(root, 'dist/daemon/redaction/ja/analyzer.js'))) as AnalyzerModule;
  const analyzer = createJapaneseAnalyzer();
  await analyzer.warmup();
  await Promise.all(texts.slice(0, 300).map((text) => analyzer.detect(text)));
  let workerBest = 0;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    await Promise.all(texts.map((text) => analyzer.detect(text)));
    workerBest = Math.max(workerBest, chars / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  // Fairness: short texts asked for one after another while a long text is being analyzed. The
  // worker takes texts round-robin, a segment at a time; before, it answered in arrival order,
  // so each short text waited for the whole long one.
  const longText = texts.join('\n').repeat(2).slice(0, 200_000);
  const longStart = performance.now();
  let longMs = NaN;
  const longDone = analyzer.detect(longText).then(() => (longMs = performance.now() - longStart));
  const shortMs: number[] = [];
  for (let i = 0; i < 20 && Number.isNaN(longMs); i++) {
    const start = performance.now();
    await analyzer.detect(texts[i]!);
    shortMs.push(performance.now() - start);
  }
  await longDone;
  await analyzer.close();
  shortMs.sort((a, b) => a - b);

  console.log(`corpus: ${texts.length} Japanese texts, ${fmt(chars)} characters; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`);
  console.log(`raw kuromoji tokenization (reference) : ${fmt(rawStock)} chars/s/core  (our tokenizer, same tokens: ${fmt(raw)})`);
  console.log(
    `detection, in-process, one core       : ${fmt(detection)} chars/s/core  (${(detection / rawStock).toFixed(2)}x raw kuromoji; target >= 0.8x; ` +
      `${(detection / raw).toFixed(2)}x our tokenizer alone)`,
  );
  console.log(`detection through the worker (dist/)  : ${fmt(workerBest)} chars/s  (${(workerBest / rawStock).toFixed(2)}x raw kuromoji; one worker core, batched)`);

  console.log(
    `a short text while a ${fmt(longText.length)}-character one is analyzed: p50 ${(shortMs[Math.floor(shortMs.length / 2)] ?? NaN).toFixed(1)} ms, ` +
      `max ${(shortMs.at(-1) ?? NaN).toFixed(1)} ms over ${shortMs.length} texts (the long one took ${longMs.toFixed(0)} ms)`,
  );

  await measureFirstRequest(texts[0]!);
  await measureDaemonMemory(texts.slice(0, 300));
}
