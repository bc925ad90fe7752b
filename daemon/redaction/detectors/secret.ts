// SECRET: a value assigned to something named like a credential (password=…, "apiKey": "…",
// AWS_SECRET_ACCESS_KEY=…, Authorization: Bearer …) that looks like a secret rather than code
// or a template: random-looking tokens score high, password-like values a little lower, and
// placeholders (${TOKEN}, <your-key>, changeme, xxxx) not at all. The span is the value only.
import { shannonEntropy } from '../checksums.js';
import type { Detector, Span } from '../types.js';

// An identifier containing a credential word, an assignment, then the value.
const ASSIGNMENT =
  /(?:[A-Za-z0-9_.-]*?(api[_-]?key|apikey|secret|token|passw(?:or)?d|passphrase|pwd|credentials?|auth[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key)([A-Za-z0-9_.-]*)["']?\s{0,3}(?:=>|:=|=|:|\bis\b)\s{0,3}|\b(bearer|basic)\s+)["'`]?([^\s'"`,;(){}[\]<>]{6,512})/gi;
const KEYWORD_GATE = /key|secret|token|passw|pwd|passphrase|credential|bearer|basic/i;
const PLACEHOLDER =
  /^(?:[$%{<[]|(?:null|none|nil|true|false|undefined|string|number|boolean|required|optional|changeme|password|secret|redacted|example|placeholder|your[_-].*|my[_-].*|xxx+|\*+|\.\.\.+)$)/i;

// Names that hold something other than the credential itself: TOKEN_URL, secret_name,
// passwordField, secretsmanager_arn, api_key_env, tokenizer.
const NOT_A_CREDENTIAL = /(?:^|[_.-])(?:url|uri|endpoint|path|file(?:name)?|dir|name|arn|id|type|field|header|env|var|length|len|count|size|ttl|expiry|expires(?:_?(?:at|in))?|hash|prefix|format|policy|version|manager)$/i;
const NOT_A_CREDENTIAL_CAMEL = /[a-z0-9](?:Url|Uri|Endpoint|Path|File|Dir|Name|Arn|Id|Type|Field|Header|Env|Var|Length|Count|Size|Ttl|Hash|Prefix|Format|Policy|Version|Manager)$/;

// A reference in code, not a value: process.env.API_KEY, settings.SECRET_KEY, self.token
// (a lower-case object, no digits: "Hunter2.Two" is a password).
const DOTTED_IDENTIFIER = /^[a-z_$][a-z_$]*(?:\.[A-Za-z_$][A-Za-z_$]*)+$/;

function characterClasses(value: string): number {
  return Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/\d/.test(value)) + Number(/[^A-Za-z0-9]/.test(value));
}

function scoreValue(value: string, passwordLike: boolean): number {
  if (PLACEHOLDER.test(value) || DOTTED_IDENTIFIER.test(value) || /^(.)\1+$/.test(value)) return 0;
  const entropy = shannonEntropy(value);
  const classes = characterClasses(value);
  if (value.length >= 16 && entropy >= 3.5 && classes >= 2) return 0.85;
  if (value.length >= 8 && entropy >= 3 && classes >= 3) return 0.75;
  // A password need not be random: any value mixing letters with digits or symbols.
  if (passwordLike && classes >= 2 && /[^A-Za-z]/.test(value) && /[A-Za-z]/.test(value)) return 0.7;
  return 0.2;
}

export const secretDetector: Detector = {
  id: 'secret',
  entityTypes: ['SECRET'],
  detect(text) {
    const spans: Span[] = [];
    if (!KEYWORD_GATE.test(text)) return spans;
    for (const match of text.matchAll(ASSIGNMENT)) {
      const keyword = (match[1] ?? match[3] ?? '').toLowerCase();
      const name = (match[1] ?? '') + (match[2] ?? '');
      if (/^tokeni[sz]/i.test(name) || NOT_A_CREDENTIAL.test(name) || NOT_A_CREDENTIAL_CAMEL.test(name)) continue;
      // Trailing punctuation stays in the span: "hunter2!" may be the whole password, and
      // masking a sentence's full stop with it costs nothing.
      const value = match[4] ?? '';
      // A URL is not a credential (its user:password part is URL_CREDENTIALS').
      if (value.includes('://')) continue;
      const end = match.index + match[0].length;
      // A call (`token = getToken()`) or member access is code, not a value.
      if (text[match.index + match[0].length] === '(') continue;
      const passwordLike = /pass|pwd/.test(keyword);
      const score = scoreValue(value, passwordLike);
      if (score === 0) continue;
      spans.push({ type: 'SECRET', start: end - value.length, end, score, detector: 'secret' });
    }
    return spans;
  },
};
