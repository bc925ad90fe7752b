// What the analyzer worker does with one text: tokenize once with kuromoji, then read person
// names and addresses off the same tokens. Pure (tokenizer passed in) so it is testable and
// benchmarkable without a worker.
import type { Span } from '../types.js';
import { findAddresses } from './addresses.js';
import type { JapaneseTokenizer } from './kuromoji-tokenizer.js';
import { findPersonNames } from './person-names.js';

const knownNames = new Map<string, boolean>();

/** Whether IPADIC reads `word` alone as one person-name token (cached: katakana parts repeat). */
function isDictionaryName(tokenizer: JapaneseTokenizer, word: string): boolean {
  let known = knownNames.get(word);
  if (known === undefined) {
    const tokens = tokenizer.tokenize(word);
    known = tokens.length === 1 && tokens[0]?.pos_detail_2 === '人名';
    if (knownNames.size > 50_000) knownNames.clear(); // bounded: one worker, long-lived
    knownNames.set(word, known);
  }
  return known;
}

/** Name and address spans in `text`, sorted by start. */
export function analyzeJapaneseText(tokenizer: JapaneseTokenizer, text: string): Span[] {
  const tokens = tokenizer.tokenize(text);
  const addresses = findAddresses(text, tokens);
  // A name part inside an address (町名 like 八丁西町 or 吉田) belongs to the address.
  const names = findPersonNames(tokens, (word) => isDictionaryName(tokenizer, word)).filter(
    (name) => !addresses.some((address) => address.score >= 0.5 && address.start < name.end && name.start < address.end),
  );
  return [...names, ...addresses].sort((a, b) => a.start - b.start);
}
