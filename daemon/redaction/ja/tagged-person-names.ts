// JP_NAME as the analyzer reports it: the rules (person-names.ts) find candidates and read their
// context, then the trained tagger (person-tagger.ts, weights in person-tagger-model.json)
// decides, with the rules' verdict as one of its features; sure rule findings (an honorific,
// a title, a form label) stand either way. The model is decoded once per worker, on first use.
import type { Span } from '../types.js';
import type { JapaneseToken } from './kuromoji-tokenizer.js';
import { findPersonNames, type WordKind } from './person-names.js';
import { combineNameSpans, decodeModel, tagPersonNames, type PersonTaggerModel, type StoredPersonTaggerModel } from './person-tagger.js';
import stored from './person-tagger-model.json' with { type: 'json' };

let model: PersonTaggerModel | undefined;

/** Person-name spans over the tokens of a text (offsets into that text). */
export function findTaggedPersonNames(tokens: readonly JapaneseToken[], lookUpWord: (word: string) => WordKind): Span[] {
  const ruleSpans = findPersonNames(tokens, lookUpWord);
  model ??= decodeModel(stored as StoredPersonTaggerModel);
  return combineNameSpans(ruleSpans, tagPersonNames(model, tokens, { ruleSpans, lookUpWord }, stored.outsideBias, stored.lenientBias));
}
