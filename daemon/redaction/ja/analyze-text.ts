// What the analyzer worker does with one text: tokenize once with kuromoji, then read person
// names and addresses off the same tokens. Pure (tokenizer passed in) so it is testable and
// benchmarkable without a worker.
import type { Span } from '../types.js';
import { findAddresses } from './addresses.js';
import { tokenizeText, type JapaneseTokenizer } from './kuromoji-tokenizer.js';
import type { WordKind } from './person-names.js';
import { findTaggedPersonNames } from './tagged-person-names.js';

const knownWords = new Map<string, WordKind>();

/** How IPADIC reads `word` alone (cached: the parts of foreign names repeat). */
function lookUpWord(tokenizer: JapaneseTokenizer, word: string): WordKind {
  let kind = knownWords.get(word);
  if (kind === undefined) {
    const tokens = tokenizer.tokenize(word);
    const only = tokens.length === 1 ? tokens[0] : undefined;
    kind = only === undefined || only.word_type === 'UNKNOWN' ? 'unknown' : only.pos_detail_2 === '人名' ? 'name' : only.pos_detail_2 === '地域' ? 'place' : 'word';
    if (knownWords.size > 50_000) knownWords.clear(); // bounded: one worker, long-lived
    knownWords.set(word, kind);
  }
  return kind;
}

/** Name and address spans in `text`, sorted by start. */
export function analyzeJapaneseText(tokenizer: JapaneseTokenizer, text: string): Span[] {
  const tokens = tokenizeText(tokenizer, text);
  const addresses = findAddresses(text, tokens);
  // A name part inside an address (町名 like 八丁西町 or 吉田) belongs to the address.
  const names = findTaggedPersonNames(tokens, (word) => lookUpWord(tokenizer, word)).filter(
    (name) => !addresses.some((address) => address.score >= 0.5 && address.start < name.end && name.start < address.end),
  );
  return [...names, ...addresses].sort((a, b) => a.start - b.start);
}
