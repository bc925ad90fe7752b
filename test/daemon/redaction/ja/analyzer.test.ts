// The worker path of the Japanese analyzer, for real: a worker thread running the TypeScript
// worker through tsx (the compiled dist/ path is exercised by the bench and the daemon build).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedactionEngine } from '../../../../daemon/redaction/engine.js';
import { createJapaneseAnalyzer, type JapaneseAnalyzerHandle } from '../../../../daemon/redaction/ja/analyzer.js';
import { resolveRedactionSettings } from '../../../../daemon/redaction/settings.js';

function values(text: string, spans: { start: number; end: number; type: string }[]): [string, string][] {
  return spans.map((span) => [span.type, text.slice(span.start, span.end)]);
}

describe('createJapaneseAnalyzer', () => {
  describe('one shared analyzer', () => {
    const started: Worker[] = [];
    let analyzer: JapaneseAnalyzerHandle;
    beforeAll(() => {
      analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => started.push(worker) });
    });
    afterAll(async () => {
      await analyzer.close();
    });

    it('never starts the worker for ASCII-only or non-Japanese text', async () => {
      expect(await analyzer.detect('Call John Smith at 090-1234-5678, 1 Main St.')).toEqual([]);
      expect(await analyzer.detect('Ünïcödé but no Japanese — 한국어 텍스트')).toEqual([]);
      expect(started).toHaveLength(0);
    });

    it('starts one worker for many concurrent requests and answers each with its own exact offsets', async () => {
      const texts = Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0 ? `${i}番目：山田太郎さんは東京都渋谷区恵比寿１丁目${i + 1}－１に住む。` : `佐藤花子様、ご連絡ありがとうございます（${i}）。`,
      );
      const results = await Promise.all(texts.map((text) => analyzer.detect(text)));
      expect(started).toHaveLength(1);
      results.forEach((spans, i) => {
        const text = texts[i]!;
        if (i % 2 === 0) {
          expect(values(text, spans)).toEqual([
            ['JP_NAME', '山田太郎'],
            ['JP_ADDRESS', `東京都渋谷区恵比寿１丁目${i + 1}－１`],
          ]);
        } else {
          expect(values(text, spans)).toEqual([['JP_NAME', '佐藤花子']]);
        }
      });
    });

    it('keeps the loaded dictionary: warmup and later requests reuse the same worker', async () => {
      await analyzer.warmup();
      expect(await analyzer.detectJapanese('鈴木一郎氏')).toHaveLength(1);
      expect(started).toHaveLength(1);
    });
  });

  describe('failures', () => {
    let analyzer: JapaneseAnalyzerHandle | undefined;
    afterEach(async () => {
      await analyzer?.close();
      analyzer = undefined;
    });

    it('warms up at start, so the first request does not start a worker', async () => {
      const started: Worker[] = [];
      analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => started.push(worker) });
      await analyzer.warmup();
      expect(started).toHaveLength(1);
      expect(values('田中さん', await analyzer.detect('田中さん'))).toEqual([['JP_NAME', '田中']]);
      expect(started).toHaveLength(1);
    });

    it('rejects pending requests clearly when the worker dies, then recovers with a new worker', async () => {
      const started: Worker[] = [];
      analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => started.push(worker) });
      const pending = [analyzer.detect('山田太郎さん'), analyzer.detect('佐藤花子様')];
      await Promise.resolve(); // the batch is posted at the end of this turn, which starts the worker
      await Promise.resolve();
      expect(started).toHaveLength(1);
      void started[0]!.terminate(); // stands in for a crash: the worker goes away mid-request
      for (const request of pending) await expect(request).rejects.toThrow(/Japanese analyzer worker stopped/);

      const text = '山田太郎さん';
      expect(values(text, await analyzer.detect(text))).toEqual([['JP_NAME', '山田太郎']]);
      expect(started).toHaveLength(2);
    });

    it('re-warms a replacement worker after a crash of a warmed analyzer', async () => {
      const started: Worker[] = [];
      let restarted: () => void = () => undefined;
      const secondStart = new Promise<void>((resolve) => (restarted = resolve));
      analyzer = createJapaneseAnalyzer({
        onWorkerStart: (worker) => {
          started.push(worker);
          if (started.length === 2) restarted();
        },
      });
      await analyzer.warmup();
      await started[0]!.terminate();
      await secondStart; // started by the analyzer itself, not by a request
      expect(started).toHaveLength(2);
    });

    it('rejects requests once closed, and close() stops the worker', async () => {
      const started: Worker[] = [];
      analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => started.push(worker) });
      const inFlight = analyzer.detect('山田太郎さん');
      await analyzer.close();
      await expect(inFlight).rejects.toThrow(/closed/);
      await expect(analyzer.detect('山田太郎さん')).rejects.toThrow(/closed/);
    });

    it('starts its worker in a process run with flags a worker refuses or chokes on (-e, --expose-gc)', async () => {
      const analyzerUrl = new URL('../../../../daemon/redaction/ja/analyzer.ts', import.meta.url).href;
      const script = `const { createJapaneseAnalyzer } = await import(${JSON.stringify(analyzerUrl)});
        const analyzer = createJapaneseAnalyzer();
        const spans = await analyzer.detect('山田太郎さん');
        await analyzer.close();
        console.log(JSON.stringify(spans.map((span) => span.type)));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script]);
      expect(JSON.parse(stdout)).toEqual(['JP_NAME']);
    });

    it('reports a dictionary that cannot be loaded as an error, not a hang', async () => {
      analyzer = createJapaneseAnalyzer({ dicPath: '/nonexistent/kuromoji-dict' });
      await expect(analyzer.detect('山田太郎さん')).rejects.toThrow(/kuromoji dictionary/);
    });
  });
});

describe('createJapaneseAnalyzer: a long text does not hold up short ones', () => {
  let analyzer: JapaneseAnalyzerHandle | undefined;
  afterEach(async () => {
    await analyzer?.close();
    analyzer = undefined;
  });

  /** ~`length` characters of real-looking prose with names and addresses. */
  function longText(length: number): string {
    const sentence = '担当の山田太郎さんに東京都渋谷区恵比寿１丁目１８－１へ書類を送ってもらってください。会議は午後に移動しました。\n';
    return sentence.repeat(Math.ceil(length / sentence.length));
  }

  it('answers a short text that arrives while a long one is being analyzed before the long one', async () => {
    let turnSeen: () => void = () => undefined;
    const firstTurn = new Promise<void>((resolve) => (turnSeen = resolve));
    analyzer = createJapaneseAnalyzer({ onTurn: (pending) => pending > 0 && turnSeen() });
    await analyzer.warmup();
    const finished: string[] = [];
    const long = analyzer.detect(longText(120_000)).then((spans) => (finished.push('long'), spans));
    await firstTurn; // the worker has run a turn and the long text is still in its queue
    const text = '佐藤花子様、ご連絡ありがとうございます。';
    const short = analyzer.detect(text).then((spans) => (finished.push('short'), spans));
    expect(values(text, await short)).toEqual([['JP_NAME', '佐藤花子']]);
    const longSpans = await long;
    expect(finished).toEqual(['short', 'long']);
    expect(longSpans.filter((span) => span.type === 'JP_NAME').length).toBeGreaterThan(1000);
  });

  it('drops a text whose signal aborts: the promise rejects at once and the worker stops analyzing it', async () => {
    const turns: number[] = [];
    let onTurn: (pending: number) => void = () => undefined;
    analyzer = createJapaneseAnalyzer({ onTurn: (pending) => (turns.push(pending), onTurn(pending)) });
    await analyzer.warmup();
    const controller = new AbortController();
    const long = analyzer.detect(longText(200_000), controller.signal);
    await new Promise<void>((resolve) => (onTurn = (pending) => pending > 0 && resolve()));
    controller.abort();
    await expect(long).rejects.toMatchObject({ name: 'AbortError' });
    // A text asked for after the abort is answered, and the turn that answered it leaves nothing
    // in the queue: the 200,000 characters (~200 more segments) were dropped, not analyzed.
    expect(values('田中さん', await analyzer.detect('田中さん'))).toEqual([['JP_NAME', '田中']]);
    expect(await new Promise<number>((resolve) => (onTurn = resolve))).toBe(0); // the worker posts a turn's results, then its queue size
    expect(turns.length).toBeLessThan(20);
  });

  it('rejects at once for a signal already aborted, and drops a text aborted before it was sent', async () => {
    const starts: Worker[] = [];
    analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => starts.push(worker) });
    await expect(analyzer.detect('田中さん', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const dropped = analyzer.detect('鈴木一郎氏', controller.signal);
    controller.abort(); // same turn: still in the batch, never posted
    await expect(dropped).rejects.toMatchObject({ name: 'AbortError' });
    expect(starts).toHaveLength(0);
    expect(values('田中さん', await analyzer.detect('田中さん'))).toEqual([['JP_NAME', '田中']]);
  });

  it('answers the short texts of one batch first, whatever their place in it', async () => {
    analyzer = createJapaneseAnalyzer();
    await analyzer.warmup();
    const finished: string[] = [];
    const track = (name: string, text: string) => analyzer!.detect(text).then(() => finished.push(name));
    await Promise.all([track('long', longText(60_000)), track('short 1', '田中さん'), track('short 2', '鈴木一郎氏')]);
    expect(finished).toEqual(['short 1', 'short 2', 'long']);
  });
});

describe('redaction.japanese_preload', () => {
  let analyzer: JapaneseAnalyzerHandle | undefined;
  afterEach(async () => {
    await analyzer?.close();
    analyzer = undefined;
  });

  it('starts the worker and loads the dictionary when the engine is built, without any request', async () => {
    let started: () => void = () => undefined;
    const workerStarted = new Promise<void>((resolve) => (started = resolve));
    const starts: Worker[] = [];
    analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => (starts.push(worker), started()) });
    createRedactionEngine({ settings: resolveRedactionSettings({ japanese_preload: true } as never), japanese: analyzer });
    await workerStarted;
    // The load it started is the one the first request uses: no second worker.
    expect(values('田中さん', await analyzer.detect('田中さん'))).toEqual([['JP_NAME', '田中']]);
    expect(starts).toHaveLength(1);
  });

  it('leaves the worker unstarted by default, so ASCII-only traffic never loads the dictionary', async () => {
    const starts: Worker[] = [];
    analyzer = createJapaneseAnalyzer({ onWorkerStart: (worker) => starts.push(worker) });
    const engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese: analyzer });
    await engine.detect('Call John Smith at +1 415 555 0100.');
    expect(starts).toHaveLength(0);
  });
});
