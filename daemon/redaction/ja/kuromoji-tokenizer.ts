// Loads kuromoji's IPADIC tokenizer once per worker (the caller keeps the promise). kuromoji's
// own loader costs ~280 MB of RSS; this one builds the same dictionary in about half of that,
// with the same tokens (test/daemon/redaction/ja/kuromoji-tokenizer.test.ts compares them):
// - each file is decompressed with Node's zlib and used in place (kuromoji copies every
//   decompressed buffer once more), one file at a time, so the load peaks low;
// - the files are zero-padded to powers of two (unk.dat: 10 MB for 400 bytes): the padding of the
//   files read by offset or up to a terminator is dropped (the lookup tables indexed by character
//   code are kept whole);
// - the word-id map (tid_map, 326k keys) becomes an array of exact-size arrays instead of an
//   object of arrays grown by push (62 MB of heap down to 21 MB); kuromoji reads it the same way.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type kuromoji from 'kuromoji';

export type JapaneseToken = kuromoji.IpadicFeatures;
export type JapaneseTokenizer = kuromoji.Tokenizer<JapaneseToken>;

const require = createRequire(import.meta.url);

/** The word trie (doublearray 0.0.2, a kuromoji dependency): a double array over UTF-8 bytes. */
interface KuromojiTrie {
  readonly bc: { getBase(index: number): number; getCheck(index: number): number };
  commonPrefixSearch(key: string): TrieMatch[];
}
interface TrieMatch {
  /** The word id (target_map key). */
  v?: number;
  /** The word. */
  k: string;
}

/** kuromoji's internals used here (kuromoji 0.1.x, unchanged since 2017; no published types). */
interface KuromojiDictionaries {
  readonly trie: KuromojiTrie;
  loadTrie(base: Int32Array, check: Int32Array): void;
  loadConnectionCosts(costs: Int16Array): void;
  loadUnknownDictionaries(unk: Uint8Array, pos: Uint8Array, map: Uint8Array, charMap: Uint8Array, compat: Uint32Array, invoke: Uint8Array): void;
  readonly token_info_dictionary: {
    loadDictionary(buffer: Uint8Array): void;
    loadPosVector(buffer: Uint8Array): void;
    target_map: unknown;
  };
}
type DictionariesConstructor = new () => KuromojiDictionaries;
type TokenizerConstructor = new (dictionaries: KuromojiDictionaries) => JapaneseTokenizer;

/** The dictionary shipped in the kuromoji package (node_modules/kuromoji/dict). */
export function defaultDictionaryPath(): string {
  return path.join(path.dirname(require.resolve('kuromoji/package.json')), 'dict');
}

/**
 * The bytes of a file, its trailing zero padding dropped but `keep` zero bytes left after the
 * last non-zero byte (a trailing value or terminator may be zero), rounded up to `align`.
 * Always a fresh, exactly sized ArrayBuffer, so typed views of any width fit it.
 */
function withoutPadding(bytes: Uint8Array, keep: number, align: number): Uint8Array {
  let end = bytes.length;
  if (keep >= 0) {
    while (end > 0 && bytes[end - 1] === 0) end--;
    end = Math.min(bytes.length, Math.ceil((end + keep) / align) * align);
  }
  if (end === bytes.length && bytes.byteOffset === 0 && bytes.buffer.byteLength === end) return bytes;
  return new Uint8Array(bytes.subarray(0, end));
}

/** word-id map: int32 key count, then (key, n, n ids) records; key → exact-size array of ids. */
function readTargetMap(bytes: Uint8Array): number[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let maxKey = 0;
  for (let at = 4; at + 8 <= bytes.length; ) {
    const count = view.getInt32(at + 4, true);
    maxKey = Math.max(maxKey, view.getInt32(at, true));
    at += 8 + 4 * count;
  }
  const map = new Array<number[]>(maxKey + 1);
  for (let at = 4; at + 8 <= bytes.length; ) {
    const key = view.getInt32(at, true);
    const count = view.getInt32(at + 4, true);
    at += 8;
    if (count === 0) continue; // padding
    const ids = new Array<number>(count);
    for (let i = 0; i < count; i++, at += 4) ids[i] = view.getInt32(at, true);
    map[key] = map[key] === undefined ? ids : [...map[key], ...ids];
  }
  return map;
}

/**
 * A .gz file decompressed into one buffer of its exact size (the gzip trailer states it), so
 * no chunk list is concatenated and copied. Synchronous: it runs in the analyzer's worker.
 */
function decompress(file: string): Buffer {
  const compressed = readFileSync(file);
  const size = compressed.length >= 4 ? compressed.readUInt32LE(compressed.length - 4) : 0;
  return gunzipSync(compressed, size >= 64 ? { chunkSize: size } : {});
}

const TRIE_ROOT = 0;
const TRIE_TERMINAL = 0;

/**
 * The dictionary words `key` starts with, as kuromoji's DoubleArray.commonPrefixSearch finds
 * them, without its cost: kuromoji asks for the words at each position of a sentence with the
 * whole rest of the sentence as `key`, and the trie's search first encodes all of it to UTF-8,
 * so a sentence costs time quadratic in its length (a third of tokenizing real sentences here).
 * This walk encodes one character at a time and stops where the trie does: the same words, in
 * time bound by the longest word. (A lone surrogate, on which the original throws, ends the walk.)
 */
function commonPrefixSearch(trie: KuromojiTrie, key: string): TrieMatch[] {
  const { bc } = trie;
  const found: TrieMatch[] = [];
  let node = TRIE_ROOT;
  for (let i = 0; i < key.length; i++) {
    let code = key.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = key.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) break;
      code = (code - 0xd800) * 0x400 + 0x10000 + (low - 0xdc00);
      i++;
    }
    // The character's UTF-8 bytes, one trie step each.
    if (code < 0x80) node = child(bc, node, code);
    else if (code < 0x800) node = child(bc, child(bc, node, (code >>> 6) | 0xc0), (code & 0x3f) | 0x80);
    else if (code < 0x10000) node = child(bc, child(bc, child(bc, node, (code >>> 12) | 0xe0), ((code >>> 6) & 0x3f) | 0x80), (code & 0x3f) | 0x80);
    else {
      node = child(bc, child(bc, node, (code >>> 18) | 0xf0), ((code >>> 12) & 0x3f) | 0x80);
      node = child(bc, child(bc, node, ((code >>> 6) & 0x3f) | 0x80), (code & 0x3f) | 0x80);
    }
    if (node === NO_NODE) break;
    // A word ends here when the node has a terminal child.
    const terminal = child(bc, node, TRIE_TERMINAL);
    if (terminal === NO_NODE) continue;
    const base = bc.getBase(terminal);
    found.push(base <= 0 ? { v: -base - 1, k: key.slice(0, i + 1) } : { k: key.slice(0, i + 1) });
  }
  return found;
}

const NO_NODE = -1;

/** The trie node reached from `node` by `byte`, or NO_NODE (also from NO_NODE). */
function child(bc: KuromojiTrie['bc'], node: number, byte: number): number {
  if (node === NO_NODE) return NO_NODE;
  const next = bc.getBase(node) + byte;
  return bc.getCheck(next) === node ? next : NO_NODE;
}

/**
 * The tokenizer over the dictionary in `dicPath`. The load is synchronous work (~0.5 s) wrapped
 * in a promise: call it in the analyzer's worker (or a test), never on the daemon's event loop.
 */
export async function loadTokenizer(dicPath = defaultDictionaryPath()): Promise<JapaneseTokenizer> {
  try {
    const DynamicDictionaries = require('kuromoji/src/dict/DynamicDictionaries.js') as DictionariesConstructor;
    const Tokenizer = require('kuromoji/src/Tokenizer.js') as TokenizerConstructor;
    // keep < 0: used whole (tables indexed by character code or read to their end).
    const file = (name: string, keep = -1, align = 1): Uint8Array => withoutPadding(decompress(path.join(dicPath, name)), keep, align);
    const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer as ArrayBuffer;

    const dictionaries = new DynamicDictionaries();
    dictionaries.loadTrie(new Int32Array(buffer(file('base.dat.gz'))), new Int32Array(buffer(file('check.dat.gz'))));
    const trie = dictionaries.trie;
    trie.commonPrefixSearch = (key) => commonPrefixSearch(trie, key);
    const words = dictionaries.token_info_dictionary;
    words.loadDictionary(file('tid.dat.gz', 16, 4));
    words.loadPosVector(file('tid_pos.dat.gz', 1));
    words.target_map = readTargetMap(file('tid_map.dat.gz', 4, 4));
    dictionaries.loadConnectionCosts(new Int16Array(buffer(file('cc.dat.gz'))));
    dictionaries.loadUnknownDictionaries(
      file('unk.dat.gz', 16, 4),
      file('unk_pos.dat.gz', 1),
      file('unk_map.dat.gz', 8, 4),
      file('unk_char.dat.gz'),
      new Uint32Array(buffer(file('unk_compat.dat.gz'))),
      // Read up to its end, one character class per record: no padding, or phantom classes.
      file('unk_invoke.dat.gz', 1),
    );
    return new Tokenizer(dictionaries);
  } catch (error) {
    throw new Error(`cannot load the kuromoji dictionary from ${dicPath}: ${String(error)}`, { cause: error });
  }
}

/**
 * kuromoji re-encodes the rest of a sentence at every position, so one long run without 、/。
 * (a table, a list, a log pasted into a prompt) costs quadratic time: 20,000 characters take
 * seconds. Text is therefore tokenized in pieces of at most this many characters…
 */
const MAX_PIECE = 512;
// …cut after a line break, space or punctuation, else where a hiragana run (particles, endings)
// gives way to another script (a word starts there), else anywhere.
const HARD_BREAK = /[\n\r\t 　。、．，！？!?.,;:；：)）」』】]/;
const HIRAGANA = /\p{Script=Hiragana}/u;

function cutAt(text: string, from: number): number {
  const limit = from + MAX_PIECE;
  if (limit >= text.length) return text.length;
  for (let at = limit; at > from + MAX_PIECE / 2; at--) if (HARD_BREAK.test(text[at - 1] ?? '')) return at;
  for (let at = limit; at > from + MAX_PIECE / 2; at--) {
    if (HIRAGANA.test(text[at - 1] ?? '') && !HIRAGANA.test(text[at] ?? '')) return at;
  }
  return limit - (/[\uD800-\uDBFF]/.test(text[limit - 1] ?? '') ? 1 : 0); // never split a surrogate pair
}

/** kuromoji's tokens of `text` (word_position 1-based in `text`), in linear time. */
export function tokenizeText(tokenizer: JapaneseTokenizer, text: string): JapaneseToken[] {
  if (text.length <= MAX_PIECE) return tokenizer.tokenize(text);
  const tokens: JapaneseToken[] = [];
  for (let start = 0; start < text.length; ) {
    const end = cutAt(text, start);
    const piece = tokenizer.tokenize(text.slice(start, end));
    let at = start;
    for (const token of piece) {
      // Positions from the piece's own text (kuromoji's are off after a sentence break that is
      // not one character long, and relative to the piece).
      const index = text.indexOf(token.surface_form, at);
      at = index === -1 ? at : index;
      tokens.push({ ...token, word_position: at + 1 });
      at += token.surface_form.length;
    }
    start = end;
  }
  return tokens;
}
