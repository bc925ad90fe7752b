// API_KEY: keys of the major LLM and AI API providers, recognised by their documented prefixes
// and lengths: OpenAI (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…), Anthropic (sk-ant-api03-…,
// sk-ant-admin01-…), Google (AIza…), Hugging Face (hf_…), Groq (gsk_…), xAI (xai-…),
// Perplexity (pplx-…), Replicate (r8_…), OpenRouter (sk-or-v1-…), Stripe secret keys, Slack
// tokens, and Kagami's own virtual keys (sk-kagami-…). A low-entropy body ("sk-xxxx…",
// "sk-your-key-here") is a placeholder, not a key.
import { shannonEntropy } from '../checksums.js';
import type { Detector, Span } from '../types.js';

interface KeyShape {
  readonly provider: string;
  readonly pattern: string;
}

// Order matters only for readability: the alternation is anchored on distinct prefixes.
const SHAPES: readonly KeyShape[] = [
  { provider: 'anthropic', pattern: 'sk-ant-(?:api|admin|sid)\\d{2}-[A-Za-z0-9_-]{80,120}' },
  { provider: 'openrouter', pattern: 'sk-or-v1-[a-f0-9]{64}' },
  { provider: 'openai', pattern: 'sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}' },
  { provider: 'google', pattern: 'AIza[0-9A-Za-z_-]{35}' },
  { provider: 'huggingface', pattern: 'hf_[A-Za-z]{34}' },
  { provider: 'groq', pattern: 'gsk_[A-Za-z0-9]{52}' },
  { provider: 'xai', pattern: 'xai-[A-Za-z0-9]{80}' },
  { provider: 'perplexity', pattern: 'pplx-[A-Za-z0-9]{48}' },
  { provider: 'replicate', pattern: 'r8_[A-Za-z0-9]{37}' },
  { provider: 'stripe', pattern: '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99}' },
  { provider: 'slack', pattern: 'xox[abposr]-[A-Za-z0-9-]{10,250}' },
];

const KEY = new RegExp(`(?<![A-Za-z0-9_-])(?:${SHAPES.map((shape) => shape.pattern).join('|')})(?![A-Za-z0-9_-])`, 'g');
// Cheap gate: every shape contains one of these.
const PREFIXES = ['sk-', 'AIza', 'hf_', 'gsk_', 'xai-', 'pplx-', 'r8_', 'sk_', 'rk_', 'xox'];
const ENDING_IN_SEPARATOR = PREFIXES.filter((prefix) => prefix.endsWith('-') || prefix.endsWith('_'));
const OTHER_PREFIXES = PREFIXES.filter((prefix) => !ENDING_IN_SEPARATOR.includes(prefix));

/**
 * True when the text contains one of PREFIXES. Most prefixes end in "-" or "_", so only the
 * (few) separators are looked behind: three times cheaper than ten includes() over the text.
 */
function containsPrefix(text: string): boolean {
  for (const prefix of OTHER_PREFIXES) if (text.includes(prefix)) return true;
  for (const separator of ['-', '_']) {
    for (let at = text.indexOf(separator, 2); at !== -1; at = text.indexOf(separator, at + 1)) {
      for (const prefix of ENDING_IN_SEPARATOR) {
        if (prefix.endsWith(separator) && text.startsWith(prefix, at - prefix.length + 1)) return true;
      }
    }
  }
  return false;
}

/** Random keys have high per-character entropy (and usually mix letters with digits). */
function looksRandom(body: string): boolean {
  const entropy = shannonEntropy(body);
  return entropy >= 3.8 || (entropy >= 3.2 && /\d/.test(body) && /[A-Za-z]/.test(body));
}

export const apiKeyDetector: Detector = {
  id: 'api-key',
  entityTypes: ['API_KEY'],
  detect(text) {
    const spans: Span[] = [];
    if (!containsPrefix(text)) return spans;
    for (const match of text.matchAll(KEY)) {
      const key = match[0];
      // Drop the provider prefix before judging randomness (the prefix itself is not random).
      const body = key.replace(/^(?:sk-ant-\w+?\d{2}-|sk-or-v1-|sk-(?:proj|svcacct|admin|None)-|sk-|AIza|hf_|gsk_|xai-|pplx-|r8_|[sr]k_(?:live|test)_|xox\w-)/, '');
      const start = match.index;
      spans.push({ type: 'API_KEY', start, end: start + key.length, score: looksRandom(body) ? 0.95 : 0.2, detector: 'api-key' });
    }
    return spans;
  },
};
