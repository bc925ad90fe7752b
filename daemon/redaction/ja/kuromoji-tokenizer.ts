// Loads kuromoji's IPADIC tokenizer (≈0.5 s, most of the analyzer worker's memory). Called once
// per worker; the caller keeps the promise so the dictionary is never loaded twice.
import { createRequire } from 'node:module';
import path from 'node:path';
import kuromoji from 'kuromoji';

export type JapaneseToken = kuromoji.IpadicFeatures;
export type JapaneseTokenizer = kuromoji.Tokenizer<JapaneseToken>;

/** The dictionary shipped in the kuromoji package (node_modules/kuromoji/dict). */
export function defaultDictionaryPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('kuromoji/package.json')), 'dict');
}

export function loadTokenizer(dicPath = defaultDictionaryPath()): Promise<JapaneseTokenizer> {
  return new Promise((resolve, reject) => {
    kuromoji.builder({ dicPath }).build((error, tokenizer) => {
      if (error) reject(new Error(`cannot load the kuromoji dictionary from ${dicPath}: ${String(error)}`, { cause: error }));
      else resolve(tokenizer);
    });
  });
}
