// API_KEY: the major LLM/AI providers' keys by documented prefix and length; a low-entropy body
// is a placeholder from the docs, not a key. (Random bodies below were generated for this test.)
import { describe, expect, it } from 'vitest';
import { apiKeyDetector } from '../../../../daemon/redaction/detectors/api-key.js';
import { describeDetector } from './detector-suite.js';

describeDetector(apiKeyDetector, {
  valid: [
    'OPENAI_API_KEY=⟦sk-proj-c7Tvo-hBKqFYY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZzgEOzdme⟧',
    'legacy key ⟦sk-nCkhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEtfjgVvVqE1S⟧ still works?',
    'client = Anthropic(api_key="⟦sk-ant-api03-ucAUsdMlHUvTCQCyEZDz-TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xAA⟧")',
    'GOOGLE_API_KEY: ⟦AIzaatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4O⟧',
    'HF_TOKEN=⟦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⟧',
    'groq ⟦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⟧',
    'XAI_API_KEY=⟦xai-FSufrdZSlB5er8bOfZqfM2oeq3hDavJA76rNicHTp8hkqdlm7tOtHWnsCGRlrwZbqcabUGJmGEp7CgQ0⟧',
    'openrouter ⟦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⟧',
    'perplexity ⟦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⟧',
    'REPLICATE_API_TOKEN=⟦r8_x9gy1CJdObOIRpFqaDZeV7G5IfQHeVVEqZe2q⟧',
    'stripe ⟦sk_live_pUWnoVPDF2yeE6RsXcNOPmeM⟧',
    'slack bot ⟦xoxb-254499207074-1374847771834-f7EbsDe0G9Cryn687neLfjVH⟧',
    'the gateway key ⟦sk-kagami-q8xiM0OGr4hTxoF54Fzbka8FRCztUjAw⟧ leaked',
  ],
  nearMiss: [
    'pip install scikit-learn (sk-learn)',
    'set OPENAI_API_KEY=sk-your-api-key-here',
    'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'AIzaShortKey',
    'hf_short',
    'the task-management-for-everyone-in-2024 board', // "sk-" inside a word
    'gsk_' + 'a'.repeat(52),
    'sk-proj-000000000000000000000000000000000000000000000000', // zeros: a template
  ],
});

describe('api key boundaries', () => {
  it('does not take a key glued to more key characters (a longer, different token)', () => {
    const text = 'id_AIzaatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4O';
    expect(apiKeyDetector.detect(text)).toEqual([]);
  });

  it('finds a key whose prefix opens the text or comes after other dashes and underscores', () => {
    // The prefix gate looks behind each "-" and "_": the first ones at offsets 2 to 4.
    const keys = ['sk-nCkhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEtfjgVvVqE1S', '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', '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'];
    for (const key of keys) {
      for (const before of ['', 'a-b_c-d: ']) {
        const spans = apiKeyDetector.detect(before + key);
        expect(spans.map((span) => [span.start, span.end])).toEqual([[before.length, before.length + key.length]]);
      }
    }
  });
});
