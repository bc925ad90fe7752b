// Builds the English/global evaluation sets in test/eval/datasets/ reproducibly (fixed seed):
//   en-presidio-recognizers.jsonl  /work/shared/data/presidio-recognizer-test-cases: Presidio's
//       recognizer unit-test cases for the types we share (labels mapped); each record lists the
//       one type it annotates in `types`, so other findings in it are not scored. Spans Presidio
//       itself only scores as weak guesses (expected score at most 0.4, below the usual 0.5
//       threshold) are `optional`: neither a hit nor a miss.
//   en-presidio-synth.jsonl        /work/shared/data/presidio-research-synth-en: 1,500 synthetic
//       sentences; EMAIL/PHONE/CREDIT_CARD/IBAN/US_SSN/IP_ADDRESS spans mapped, `types` lists
//       those six and JP_PHONE (a Japanese number is JP_PHONE in our taxonomy: phoneType). Phone values no region's numbering plan accepts are flagged `valid: false`
//       (the harness reports recall on valid values and on all values).
//   en-validators.jsonl            cases written here for every validator: valid values
//       (computed check digits, real key shapes, real PEM keys and signed JWTs) in varied
//       sentences, and near misses (one digit off, reserved ranges, placeholders, lookalikes)
//       that carry no gold span.
// Everything but the PEM keys (node:crypto has no seeded key generation) is identical per run.
// Run: npx tsx test/eval/build-en-datasets.ts [data dir]
import { createHmac, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { seededRandom } from '../../daemon/routing/strategies.js'; // mulberry32: the same sets on every run

interface Gold {
  type: string;
  start: number;
  end: number;
  optional?: boolean;
  valid?: boolean;
}
interface Case {
  text: string;
  spans: Gold[];
  types?: string[];
}

const dataDir = process.argv[2] ?? '/work/shared/data';
const outDir = path.join(import.meta.dirname, 'datasets');

const random = seededRandom(20261123);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const digits = (n: number): string => Array.from({ length: n }, () => int(10)).join('');
const fromAlphabet = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A template with `{}` slots filled by values; each value with a type becomes a gold span. */
function fill(template: string, ...values: [string, string | null][]): Case {
  let text = '';
  const spans: Gold[] = [];
  const parts = template.split('{}');
  parts.forEach((part, i) => {
    text += part;
    const value = values[i];
    if (i < parts.length - 1 && value !== undefined) {
      if (value[1] !== null) spans.push({ type: value[1], start: text.length, end: text.length + value[0].length });
      text += value[0];
    }
  });
  return { text, spans };
}

function writeJsonl(name: string, cases: readonly Case[]): void {
  fs.writeFileSync(path.join(outDir, name), cases.map((item) => JSON.stringify(item)).join('\n') + '\n');
  console.log(`${name}: ${cases.length} cases, ${cases.reduce((n, item) => n + item.spans.length, 0)} spans`);
}

// ---------------------------------------------------------------- Presidio recognizer cases
const PRESIDIO_TYPES: Record<string, string> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  CREDIT_CARD: 'CREDIT_CARD',
  IBAN_CODE: 'IBAN',
  IP_ADDRESS: 'IP_ADDRESS',
  US_SSN: 'US_SSN',
};

function presidioRecognizerCases(): Case[] {
  const lines = fs.readFileSync(path.join(dataDir, 'presidio-recognizer-test-cases/cases.jsonl'), 'utf8').trim().split('\n');
  const cases: Case[] = [];
  for (const line of lines) {
    const row = JSON.parse(line) as {
      text: string;
      entity: string;
      spans: [number, number, string][];
      spans_complete: boolean;
      score_ranges?: [number, number][];
    };
    const type = PRESIDIO_TYPES[row.entity];
    if (type === undefined || !row.spans_complete) continue;
    const spans = row.spans.map(([start, end], i): Gold => {
      const band = row.score_ranges?.[i];
      const spanType = type === 'PHONE' ? phoneType(row.text.slice(start, end)) : type;
      return band !== undefined && band[1] <= 0.4 ? { type: spanType, start, end, optional: true } : { type: spanType, start, end };
    });
    cases.push({ text: row.text, spans, types: [...new Set([type, ...spans.map((span) => span.type)])] });
  }
  return cases;
}

// ---------------------------------------------------------------- Presidio synthetic sentences
const REGIONS = getCountries();

/**
 * Our taxonomy splits phones by region: a +81 number, or a Japanese number written the Japanese
 * way (hyphenated from the trunk 0), is JP_PHONE ("My Japanese number is 090-1234-5678").
 */
function phoneType(value: string): string {
  const japanese = value.startsWith('+81') || (/^0\d{1,4}-\d{1,4}-\d{4}$/.test(value) && parsePhoneNumberFromString(value, 'JP')?.isValid() === true);
  return japanese ? 'JP_PHONE' : 'PHONE';
}

function validPhoneAnywhere(value: string): boolean {
  if (value.trim().startsWith('+')) return parsePhoneNumberFromString(value)?.isValid() === true;
  return REGIONS.some((region) => parsePhoneNumberFromString(value, region)?.isValid() === true);
}

function presidioSynthCases(): Case[] {
  const rows = JSON.parse(fs.readFileSync(path.join(dataDir, 'presidio-research-synth-en/synth_dataset_v2.json'), 'utf8')) as {
    full_text: string;
    spans: { entity_type: string; entity_value: string; start_position: number; end_position: number }[];
  }[];
  const types = [...Object.values(PRESIDIO_TYPES), 'JP_PHONE'];
  return rows.map((row) => {
    const spans: Gold[] = [];
    for (const span of row.spans) {
      const mapped = PRESIDIO_TYPES[span.entity_type];
      if (mapped === undefined) continue;
      const type = mapped === 'PHONE' ? phoneType(span.entity_value) : mapped;
      const gold: Gold = { type, start: span.start_position, end: span.end_position };
      if (type === 'PHONE' && !validPhoneAnywhere(span.entity_value)) gold.valid = false;
      spans.push(gold);
    }
    return { text: row.full_text, spans, types };
  });
}

// ---------------------------------------------------------------- validator cases (written here)
function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

const CARD_ISSUERS: { prefix: () => string; length: number; groups: number[] }[] = [
  { prefix: () => '4', length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => '4', length: 13, groups: [4, 4, 5] },
  { prefix: () => String(51 + int(5)), length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => String(2221 + int(500)), length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => pick(['34', '37']), length: 15, groups: [4, 6, 5] },
  { prefix: () => pick(['6011', '65', '644']), length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => String(3528 + int(62)), length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => pick(['36', '38', '300']), length: 14, groups: [4, 6, 4] },
  { prefix: () => '62', length: pick([16, 19]), groups: [4, 4, 4, 4, 3] },
  { prefix: () => pick(['6759', '5018', '6304']), length: 16, groups: [4, 4, 4, 4] },
];

function grouped(value: string, groups: number[], separator: string): string {
  const out: string[] = [];
  let cursor = 0;
  for (const size of groups) {
    if (cursor >= value.length) break;
    out.push(value.slice(cursor, cursor + size));
    cursor += size;
  }
  if (cursor < value.length) out.push(value.slice(cursor));
  return out.join(separator);
}

function validCard(): { digits: string; groups: number[] } {
  const issuer = pick(CARD_ISSUERS);
  const prefix = issuer.prefix();
  const body = prefix + digits(issuer.length - prefix.length - 1);
  return { digits: body + luhnCheckDigit(body), groups: issuer.groups };
}

function formatCard(card: { digits: string; groups: number[] }): string {
  const style = int(3);
  return style === 0 ? card.digits : grouped(card.digits, card.groups, style === 1 ? ' ' : '-');
}

const IBAN_FORMATS: Record<string, string> = {
  // n = digit, a = upper-case letter, c = alphanumeric (BBAN structure per the IBAN registry)
  DE: 'nnnnnnnnnnnnnnnnnn', GB: 'aaaannnnnnnnnnnnnn', FR: 'nnnnnnnnnncccccccccccnn', ES: 'nnnnnnnnnnnnnnnnnnnn',
  IT: 'annnnnnnnnncccccccccccc', NL: 'aaaannnnnnnnnn', BE: 'nnnnnnnnnnnn', CH: 'nnnnnnnnnnnnnnnnn',
  AT: 'nnnnnnnnnnnnnnnn', PL: 'nnnnnnnnnnnnnnnnnnnnnnnn', SE: 'nnnnnnnnnnnnnnnnnnnn', NO: 'nnnnnnnnnnn',
  DK: 'nnnnnnnnnnnnnn', FI: 'nnnnnnnnnnnnnn', IE: 'aaaannnnnnnnnnnnnn', PT: 'nnnnnnnnnnnnnnnnnnnnn',
  SA: 'nncccccccccccccccccc', AE: 'nnnnnnnnnnnnnnnnnnn', BR: 'nnnnnnnnnnnnnnnnnnnnnnnac', TR: 'nnnnnncccccccccccccccc',
};

function mod97(value: string): number {
  let remainder = 0;
  for (const char of value) {
    const code = char.charCodeAt(0);
    remainder = code >= 65 ? (remainder * 100 + code - 55) % 97 : (remainder * 10 + code - 48) % 97;
  }
  return remainder;
}

function validIban(): string {
  const country = pick(Object.keys(IBAN_FORMATS));
  const bban = [...(IBAN_FORMATS[country] ?? '')]
    .map((kind) => (kind === 'n' ? digits(1) : kind === 'a' ? fromAlphabet(UPPER, 1) : fromAlphabet(UPPER + '0123456789', 1)))
    .join('');
  const check = 98 - mod97(bban + country + '00');
  return country + String(check).padStart(2, '0') + bban;
}

function formatIban(iban: string): string {
  const style = int(4);
  if (style === 0) return iban.toLowerCase();
  return style === 1 ? iban : iban.replace(/(.{4})(?=.)/g, '$1 ');
}

function validSsn(): string {
  let area = 1 + int(899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}-${String(1 + int(99)).padStart(2, '0')}-${String(1 + int(9999)).padStart(4, '0')}`;
}

const PHONE_REGIONS: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'NL', 'AU', 'IN', 'BR', 'CA', 'CH', 'SE', 'JP', 'IE', 'MX', 'SG', 'ZA'];

function validPhone(): { international: string; national: string; region: CountryCode } {
  for (;;) {
    const region = pick(PHONE_REGIONS);
    const example = getExampleNumber(region, examples as never);
    if (example === undefined) continue;
    const national = String(example.nationalNumber);
    const mutated = national.slice(0, -4) + digits(4);
    const parsed = parsePhoneNumberFromString(`+${example.countryCallingCode}${mutated}`);
    if (parsed?.isValid()) return { international: parsed.formatInternational(), national: parsed.formatNational(), region };
  }
}

function randomIpv4(): string {
  return [1 + int(223), int(256), int(256), 1 + int(254)].join('.');
}

function randomIpv6(): string {
  const groups = Array.from({ length: 8 }, () => int(65536).toString(16));
  if (int(2) === 0) return groups.join(':');
  const at = 1 + int(5);
  return `${groups.slice(0, at).join(':')}::${groups.slice(at + 2).join(':')}`;
}

function signedJwt(): string {
  const header = Buffer.from(JSON.stringify({ alg: pick(['HS256', 'HS512']), typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: digits(8), name: pick(['alice', 'bob', 'carol']), iat: 1_700_000_000 + int(1e7) })).toString('base64url');
  const signature = createHmac('sha256', digits(16)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function privateKeys(): string[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  return [
    rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().trim(),
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString().trim(),
    ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }).toString().trim(),
  ];
}

const NAMES = ['john.smith', 'maria', 'a.nakamura', 'dev+alerts', 'O.Brien', 'lee_w', 'support', 'first.last.2024', 'x'];
const DOMAINS = ['example.com', 'mail.example.co.uk', 'corp.acme.io', 'gmail.com', 'uni-hamburg.de', 'xn--80ak6aa92e.com', 'sub.domain.travel'];

const TEMPLATES = {
  EMAIL: ['Contact me at {} for details.', 'email: {}', 'Send the report to {}, thanks', '<{}>', 'Reply-To: "Ops" <{}>', 'ping {} or call later'],
  PHONE: ['Call me at {} tomorrow.', 'Phone: {}', 'my mobile number is {}', 'You can reach the front desk on {}.', 'tel. {} (office)', 'Please text {} when you land'],
  CREDIT_CARD: ['My card number is {}.', 'Charge it to {} please', 'card: {} exp 11/27', 'Visa {} was declined', 'payment with {} failed twice'],
  IBAN: ['Please wire the money to {}.', 'IBAN: {}', 'Our account is {} at the bank', 'refund to {} thanks'],
  US_SSN: ['My SSN is {}.', 'social security number {}', 'SSN: {} (employee)', 'Her social security no. is {}'],
  IP_ADDRESS: ['The server at {} is down.', 'Login from {} was blocked', 'host={} port=22', 'ping {} fails'],
} as const;

function validatorCases(): Case[] {
  const cases: Case[] = [];
  const add = (template: string, ...values: [string, string | null][]): void => {
    cases.push(fill(template, ...values));
  };
  for (let i = 0; i < 80; i++) add(pick(TEMPLATES.EMAIL), [`${pick(NAMES)}@${pick(DOMAINS)}`, 'EMAIL']);
  for (let i = 0; i < 80; i++) {
    const phone = validPhone();
    const value = i % 2 === 0 ? phone.international : phone.region === 'US' || phone.region === 'CA' ? phone.national : phone.international;
    // A +81 number is a Japanese phone number (JP_PHONE), whatever language surrounds it.
    add(pick(TEMPLATES.PHONE), [value, phone.region === 'JP' ? 'JP_PHONE' : 'PHONE']);
  }
  for (let i = 0; i < 30; i++) {
    const phone = validPhone();
    if (phone.region !== 'JP' && (phone.national.startsWith('0') || phone.region === 'US')) add(pick(TEMPLATES.PHONE), [phone.national, 'PHONE']);
  }
  for (let i = 0; i < 100; i++) add(pick(TEMPLATES.CREDIT_CARD), [formatCard(validCard()), 'CREDIT_CARD']);
  for (let i = 0; i < 80; i++) add(pick(TEMPLATES.IBAN), [formatIban(validIban()), 'IBAN']);
  for (let i = 0; i < 60; i++) {
    const ssn = validSsn();
    add(pick(TEMPLATES.US_SSN), [i % 4 === 0 ? ssn.replace(/-/g, ' ') : ssn, 'US_SSN']);
  }
  for (let i = 0; i < 60; i++) add(pick(TEMPLATES.IP_ADDRESS), [i % 2 === 0 ? randomIpv4() : randomIpv6(), 'IP_ADDRESS']);
  for (let i = 0; i < 30; i++) {
    const scheme = pick(['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis', 'amqp', 'https', 'ftp']);
    const user = pick(['app', 'admin', 'svc_reporting', 'deploy', 'u1']);
    const password = fromAlphabet(ALNUM + '!*~', 8 + int(16));
    const host = pick(['db.internal', 'localhost:5432', 'cluster0.ab1cd.mongodb.net', 'cache.prod.example.org', 'registry.example.com']);
    const before = `${scheme}://`;
    add(`DATABASE_URL=${before}{}@${host}/main`, [`${user}:${password}`, 'URL_CREDENTIALS']);
  }
  for (let i = 0; i < 30; i++) add(pick(['aws_access_key_id = {}', 'The key {} leaked in the logs', 'export AWS_ACCESS_KEY_ID={}']), [pick(['AKIA', 'ASIA']) + fromAlphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16), 'AWS_ACCESS_KEY']);
  const apiKeys = (): string =>
    pick([
      () => `sk-proj-${fromAlphabet(ALNUM + '_-', 48)}${fromAlphabet(ALNUM, 8)}`,
      () => `sk-${fromAlphabet(ALNUM, 48)}`,
      () => `sk-ant-api03-${fromAlphabet(ALNUM + '_-', 93)}AA`,
      () => `AIza${fromAlphabet(ALNUM + '_-', 35)}`,
      () => `hf_${fromAlphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34)}`,
      () => `gsk_${fromAlphabet(ALNUM, 52)}`,
      () => `xai-${fromAlphabet(ALNUM, 80)}`,
    ])();
  for (let i = 0; i < 50; i++) add(pick(['Here is my key {} can you debug?', 'OPENAI_API_KEY={}', 'client = Client(api_key="{}")', 'use {}']), [apiKeys(), 'API_KEY']);
  for (let i = 0; i < 30; i++) {
    const token = pick([
      () => `${pick(['ghp', 'gho', 'ghs', 'ghu', 'ghr'])}_${fromAlphabet(ALNUM, 36)}`,
      () => `github_pat_${fromAlphabet(ALNUM, 22)}_${fromAlphabet(ALNUM, 59)}`,
    ])();
    add(pick(['GITHUB_TOKEN={}', 'git clone https://x-access-token:{}@github.com/o/r.git', 'token {} expired?']), [token, 'GITHUB_TOKEN']);
  }
  for (let i = 0; i < 30; i++) add(pick(['Authorization: Bearer {}', 'decode this: {}', 'the cookie was session={}; Path=/']), [signedJwt(), 'JWT']);
  for (const key of privateKeys()) {
    add('Why does this fail?\n{}\nThanks', [key, 'PRIVATE_KEY']);
    add('key.pem:\n```\n{}\n```', [key, 'PRIVATE_KEY']);
  }
  for (let i = 0; i < 40; i++) {
    const value = pick([() => fromAlphabet(ALNUM, 24 + int(16)), () => `${fromAlphabet(ALNUM, 10)}!${digits(2)}`, () => fromAlphabet('0123456789abcdef', 40)])();
    add(pick(['DB_PASSWORD={}', 'password: "{}"', 'client_secret = \'{}\'', '"signing_key": "{}",', 'SECRET_KEY={}', 'the password is {}']), [value, 'SECRET']);
  }

  // Near misses: no gold span. Each targets one validator.
  const near = (template: string, value: string): void => add(template, [value, null]);
  for (let i = 0; i < 40; i++) {
    const card = validCard();
    const wrong = card.digits.slice(0, -1) + String((Number(card.digits.slice(-1)) + 1 + int(8)) % 10);
    near(pick(TEMPLATES.CREDIT_CARD), formatCard({ ...card, digits: wrong }));
  }
  for (let i = 0; i < 20; i++) {
    const body = pick(['9', '8', '7']) + digits(14);
    near(pick(['Order {} shipped', 'tracking number {}', 'ref {}']), body + luhnCheckDigit(body));
  }
  for (let i = 0; i < 40; i++) {
    const iban = validIban();
    const check = Number(iban.slice(2, 4));
    near(pick(TEMPLATES.IBAN), formatIban(iban.slice(0, 2) + String(check === 98 ? 2 : check + 1).padStart(2, '0') + iban.slice(4)));
  }
  for (let i = 0; i < 10; i++) near(pick(TEMPLATES.IBAN), validIban() + digits(1));
  for (const ssn of ['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000', '078-05-1120', '987-65-4321']) near(pick(TEMPLATES.US_SSN), ssn);
  for (let i = 0; i < 10; i++) near(pick(['Order number {} confirmed', 'invoice {} attached', 'ticket {} closed']), digits(9));
  for (const email of ['john@localhost', 'name@domain', '@handle', 'foo@bar.', 'john..doe@example', 'user@-example.com', 'a@b.c']) near(pick(TEMPLATES.EMAIL), email);
  for (const value of ['2024-03-15', '15/03/2024', '10:30:00', '1,234,567', 'v10.0.19045', '94105-1234', '978-3-16-148410-0', 'INV-2024-000123', '3.14159265']) near(pick(['see {} above', 'value {} here', 'on {} we shipped']), value);
  for (const ip of ['256.1.2.3', '1.2.3', '192.168.1.300', '2001::db8::1', '12345::1', '1.2.3.4.5.6']) near(pick(TEMPLATES.IP_ADDRESS), ip);
  for (const value of ['std::vector<int>', 'Foo::Bar::baz()', 'a:b:c:d', '12:34:56', 'aa:bb:cc:dd:ee:ff']) near('the code uses {} here', value);
  for (const url of ['https://example.com/path?q=1', 'postgres://user@host/db', 'postgres://${DB_USER}:${DB_PASS}@db/main', 'postgres://user:password@localhost/db'])
    near('connect with {}', url);
  // A mailto: link holds an address (EMAIL), not URL credentials.
  add('write to mailto:{}', ['someone@example.com', 'EMAIL']);
  for (const value of ['AKIA1234', 'akiaiosfodnn7examplex', 'AKIAIOSFODNN7EXAMPL', 'sk-learn', 'sk-your-api-key-here', 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'AIzaShort', 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'ghp_abc'])
    near('set it to {} and retry', value);
  const notJwtHeader = Buffer.from(JSON.stringify({ typ: 'JWT' })).toString('base64url');
  near('token {}', `${notJwtHeader}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl`);
  near('blob {}', `eyJ${fromAlphabet(ALNUM, 20)}.eyJ${fromAlphabet(ALNUM, 20)}.${fromAlphabet(ALNUM, 20)}`);
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
  near('our public key:\n{}', publicKey);
  for (const value of ['password: <your password>', 'token = getToken()', 'password is required', 'secret: ${SECRET}', 'api_key: string', 'password: ********', 'token: null', 'apiKey: process.env.API_KEY'])
    cases.push({ text: `config ${value} here`, spans: [] });
  return cases;
}

fs.mkdirSync(outDir, { recursive: true });
writeJsonl('en-presidio-recognizers.jsonl', presidioRecognizerCases());
writeJsonl('en-presidio-synth.jsonl', presidioSynthCases());
writeJsonl('en-validators.jsonl', validatorCases());
