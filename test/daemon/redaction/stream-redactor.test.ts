// Inline redaction of streamed output: a value split across chunks at ANY boundary is caught
// (every two-way split, and one character per chunk), what is released never contains a raw
// value, placeholders cut by a chunk are still restored, and only the possible start of a
// match is held back.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createJapaneseAnalyzer } from '../../../daemon/redaction/ja/analyzer.js';
import { createRedactionEngine } from '../../../daemon/redaction/engine.js';
import { PseudonymTable } from '../../../daemon/redaction/pseudonyms.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import { holdBackStart, StreamRedactor, type StreamFinding } from '../../../daemon/redaction/stream-redactor.js';

const engine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese: null });
const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim();

function redactor(pseudonyms = new PseudonymTable(), findings: StreamFinding[] = []): StreamRedactor {
  return new StreamRedactor({ engine, pseudonyms, responseActionFor: () => 'mask', scan: true, onFinding: (finding) => findings.push(finding) });
}

async function streamed(pieces: readonly string[], pseudonyms?: PseudonymTable, findings?: StreamFinding[]): Promise<string[]> {
  const r = redactor(pseudonyms, findings);
  const out: string[] = [];
  for (const piece of pieces) out.push(await r.push(piece));
  out.push(await r.flush());
  return out;
}

// One sentence per entity type, each with the value in the middle of prose.
const CASES: [string, string, string][] = [
  ['EMAIL', 'Mail alice.smith@example.com today.', 'Mail [EMAIL] today.'],
  ['PHONE', 'Call +44 20 7946 0958 after lunch.', 'Call [PHONE] after lunch.'],
  ['CREDIT_CARD', 'Card 4111 1111 1111 1111 was charged.', 'Card [CREDIT_CARD] was charged.'],
  ['IBAN', 'Pay GB82 WEST 1234 5698 7654 32 now.', 'Pay [IBAN] now.'],
  ['US_SSN', 'SSN 536-22-8412 on file.', 'SSN [US_SSN] on file.'],
  ['IP_ADDRESS', 'Host 2001:db8::8a2e:370:7334 is up.', 'Host [IP_ADDRESS] is up.'],
  ['URL_CREDENTIALS', 'Use postgres://app:s3cretPw@db:5432/x ok', 'Use postgres://[URL_CREDENTIALS]@db:5432/x ok'],
  ['AWS_ACCESS_KEY', 'Key AKIAYUHVAUVZHMASQXEZ leaked.', 'Key [AWS_ACCESS_KEY] leaked.'],
  ['API_KEY', 'Try sk-proj-c7Tvo-hBKqFYY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZzgEOzdme please', 'Try [API_KEY] please'],
  ['GITHUB_TOKEN', 'Token ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d expired', 'Token [GITHUB_TOKEN] expired'],
  ['SECRET', 'The password: Tr0ub4dor&3 works', 'The password: [SECRET] works'],
  ['PRIVATE_KEY', `Here:\n${pem}\nDone.`, 'Here:\n[PRIVATE_KEY]\nDone.'],
  ['JP_PHONE', '電話は090-1234-5678です。', '電話は[JP_PHONE]です。'],
];

describe('StreamRedactor', () => {
  it.each(CASES)('catches %s split at every possible chunk boundary', async (_type, text, expected) => {
    expect((await redactor().redactAll(text))).toBe(expected);
    for (let cut = 1; cut < text.length; cut++) {
      const out = await streamed([text.slice(0, cut), text.slice(cut)]);
      expect(out.join(''), `cut at ${cut}`).toBe(expected);
    }
  });

  it.each(CASES)('catches %s streamed one character per chunk', async (_type, text, expected) => {
    const out = await streamed([...text]);
    expect(out.join('')).toBe(expected);
  });

  it('catches a value split over three chunks at every pair of boundaries', async () => {
    const text = 'Card 4111 1111 1111 1111 ok';
    for (let a = 1; a < text.length - 1; a++) {
      for (let b = a + 1; b < text.length; b++) {
        const out = await streamed([text.slice(0, a), text.slice(a, b), text.slice(b)]);
        expect(out.join(''), `cuts at ${a},${b}`).toBe('Card [CREDIT_CARD] ok');
      }
    }
  });

  it('restores a placeholder split at every boundary, and masks PII next to it', async () => {
    const pseudonyms = new PseudonymTable();
    pseudonyms.placeholderFor('EMAIL', 'alice@example.com');
    const text = 'I wrote to <EMAIL_1> and to bob@example.org.';
    for (let cut = 1; cut < text.length; cut++) {
      const out = await streamed([text.slice(0, cut), text.slice(cut)], pseudonyms);
      expect(out.join(''), `cut at ${cut}`).toBe('I wrote to alice@example.com and to [EMAIL].');
    }
  });

  it('reports each finding once, with offsets in the whole output and a masked preview', async () => {
    const findings: StreamFinding[] = [];
    const text = 'Call +44 20 7946 0958 or mail alice@example.com.';
    await streamed([...text], undefined, findings);
    expect(findings.map((f) => [f.span.type, f.start, f.end, f.action])).toEqual([
      ['PHONE', 5, 21, 'mask'],
      ['EMAIL', 30, 47, 'mask'],
    ]);
    for (const finding of findings) {
      expect(finding.preview).not.toMatch(/7946|alice/);
    }
    expect(findings[1]?.preview).toContain('[PHONE] or mail [EMAIL]');
  });

  it('uses context words already sent: "password:" in one chunk, the value in the next', async () => {
    const out = await streamed(['my password: ', 'Tr0ub4dor&3 ', 'thanks']);
    expect(out.join('')).toBe('my password: [SECRET] thanks');
  });

  it('releases a huge unbroken run in steps, holding at most twice 4,096 characters', async () => {
    const r = redactor();
    const blob = 'QUJD'.repeat(5_000); // 20,000 characters without a space
    let out = '';
    for (let i = 0; i < blob.length; i += 4) out += await r.push(blob.slice(i, i + 4));
    expect(r.maxHeld).toBeLessThanOrEqual(2 * 4096);
    expect(out.length).toBeGreaterThan(blob.length - 2 * 4096);
    expect(out + (await r.flush())).toBe(blob);
  });

  it('releases prose at once and holds back only what may still become a match', async () => {
    const r = redactor();
    expect(await r.push('Hello there, ')).toBe('Hello there, ');
    expect(await r.push('my number')).toBe('my ');
    expect(await r.push(' is +44 20 ')).toBe('number is ');
    expect(await r.push('7946 0958.')).toBe('');
    expect(await r.flush()).toBe('[PHONE].');
  });
});

describe('StreamRedactor on Japanese text (the real kuromoji analyzer, in its worker)', () => {
  const japanese = createJapaneseAnalyzer();
  const jaEngine = createRedactionEngine({ settings: resolveRedactionSettings(undefined), japanese });
  afterAll(() => japanese.close());

  it('catches names, postal codes and addresses split at every chunk boundary', async () => {
    const text = '担当の佐藤花子様へ、〒100-0001 東京都千代田区千代田1-1までお送りください。';
    const expected = '担当の[JP_NAME]様へ、〒[JP_POSTAL_CODE] [JP_ADDRESS]までお送りください。';
    const whole = new StreamRedactor({ engine: jaEngine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
    expect(await whole.redactAll(text)).toBe(expected);
    for (let cut = 1; cut < text.length; cut++) {
      const r = new StreamRedactor({ engine: jaEngine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
      const out = (await r.push(text.slice(0, cut))) + (await r.push(text.slice(cut))) + (await r.flush());
      expect(out, `cut at ${cut}`).toBe(expected);
    }
    const r = new StreamRedactor({ engine: jaEngine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
    let out = '';
    for (const char of text) out += await r.push(char);
    expect(out + (await r.flush())).toBe(expected);
  });

  it('waits for the rest of a katakana name cut right after its joiner (ジョン・|スミス)', async () => {
    const r = new StreamRedactor({ engine: jaEngine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });
    const out = (await r.push('本日はジョン・')) + (await r.push('スミスさんとお会いしました')) + (await r.flush());
    expect(out).toBe('本日は[JP_NAME]さんとお会いしました');
  });

  // A long answer without a single clause boundary (、。): held text must stay bounded anyway.
  const LONG =
    '本日はお問い合わせいただき誠にありがとうございます担当の山田太郎さんが確認いたしましたところ書類は東京都渋谷区恵比寿１丁目１８－１にお送りしたとのことでしたので' +
    '差額につきましては来月のご請求時に調整させていただきます新しい窓口は埼玉県さいたま市大宮区桜木町1-7-5にありますので佐藤花子様までご連絡ください';
  const LONG_EXPECTED =
    '本日はお問い合わせいただき誠にありがとうございます担当の[JP_NAME]さんが確認いたしましたところ書類は[JP_ADDRESS]にお送りしたとのことでしたので' +
    '差額につきましては来月のご請求時に調整させていただきます新しい窓口は[JP_ADDRESS]にありますので[JP_NAME]様までご連絡ください';
  const jaRedactor = () => new StreamRedactor({ engine: jaEngine, pseudonyms: new PseudonymTable(), responseActionFor: () => 'mask', scan: true });

  it('holds a bounded tail of a long Japanese answer without clause punctuation, released as it streams', async () => {
    expect(LONG).not.toMatch(/[、。]/);
    expect(await jaRedactor().redactAll(LONG)).toBe(LONG_EXPECTED);
    const r = jaRedactor();
    let out = '';
    let firstAt = -1;
    for (let i = 0; i < LONG.length; i++) {
      out += await r.push(LONG[i] as string);
      if (out !== '' && firstAt === -1) firstAt = i + 1;
    }
    // Released text is never taken back: the concatenation is the redacted answer, so no raw
    // value (nor any part of one) went out at any step.
    expect(out + (await r.flush())).toBe(LONG_EXPECTED);
    expect(firstAt).toBeLessThanOrEqual(6); // 本日は…: not after the 48-character window
    expect(r.maxHeld).toBeLessThanOrEqual(48); // the longest address, held whole, is 19
    expect(r.heldTotal / r.pushes).toBeLessThan(12);
  });

  it('catches names and addresses (a hiragana city too) in that answer split at every chunk boundary', async () => {
    const cuts = Array.from({ length: LONG.length - 1 }, (_, i) => i + 1);
    const outputs = await Promise.all(
      cuts.map(async (cut) => {
        const r = jaRedactor();
        return (await r.push(LONG.slice(0, cut))) + (await r.push(LONG.slice(cut))) + (await r.flush());
      }),
    );
    outputs.forEach((out, i) => expect(out, `cut at ${cuts[i]}`).toBe(LONG_EXPECTED));
  });
});

describe('holdBackStart', () => {
  const none = null;
  it.each([
    ['Hello there', 6], // the last word may continue
    ['Hello there ', 12], // a finished word after prose: nothing held
    ['card 4111 1111 ', 5], // groups of digits joined by single spaces
    ['pay GB82 WEST ', 4],
    ['see +44 20', 4],
    ['Done.\n', 6],
    [`key:\n-----BEGIN PRIVATE KEY-----\nMC4CAQ`, 5], // an unclosed PEM block from its BEGIN line
    ['日本語の文章です。まだ続きます、終わり', 16], // Japanese: from the last clause boundary (、。「」…)
    // Japanese without a boundary: from the trailing kanji run and the hiragana around it
    ['住所は東京都千代田区千代田一丁目一番一号の建物の中にある会議室で待ち合わせしましょうという話になったのでよろしくお願いします', 51],
    ['担当の山田さく', 2], // a given name in hiragana may be being written (and の: a hiragana city's place)
    ['確認いたしましたところ', 5], // a long hiragana run: only its last 6 characters
    ['書類は東京都渋谷区恵比寿１丁目１８', 2], // は may be the start of a hiragana city: up to 6 kana before the run
    ['アルファベータガンマデルタイプシロンゼータイータシータイオタカッパラムダミューニュークシーオミクロンパイ', 4], // at most the last 48 of a run
  ])('holds %j from %i', (text, start) => {
    expect(holdBackStart(text, none)).toBe(start);
  });

  it('holds an unclosed PEM block only while it may be a private key', () => {
    expect(holdBackStart('x\n-----BEGIN CERT', none)).toBe(2); // the label is not complete yet
    expect(holdBackStart('x\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nAAAA\n', none)).toBe(2);
    const certificate = 'x\n-----BEGIN CERTIFICATE-----\nMIIE\nAAAA\n';
    expect(holdBackStart(certificate, none)).toBe(certificate.length); // nothing held
  });

  it('holds a possible placeholder start only when the request made placeholders', () => {
    const table = new PseudonymTable();
    expect(holdBackStart('see <EM', table)).toBe(4);
    table.placeholderFor('EMAIL', 'a@example.com');
    expect(holdBackStart('see <EM', table)).toBe(4);
    expect(holdBackStart('a < b ', table)).toBe(6);
  });
});
