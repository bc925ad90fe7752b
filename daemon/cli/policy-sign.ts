// `kagami policy sign FILE`: validates a policy and wraps it in a signed bundle
// (format: README, "Signed team policies"). The bundle's version is the policy's own
// `version`, which every daemon requires to increase.
import { readFileSync, writeFileSync } from 'node:fs';
import { signBundle } from '../policy/bundle/bundle.js';
import { loadPrivateKey } from '../policy/bundle/signing-key.js';
import { parsePolicy } from '../policy/load-policy.js';
import { readKeychainSecret } from '../secrets/keychain.js';
import { SIGNING_KEY_ACCOUNT_PREFIX } from './admin.js';
import { EXIT, parseFlags, UsageError } from './command.js';

export const POLICY_SIGN_USAGE = `  kagami policy sign FILE (--key-file PEM | --key-id ID) [--expires 30d|ISO-DATE] [--out BUNDLE]
      validate FILE and write a signed bundle (default FILE with .bundle.json); the bundle's
      version is the policy's \`version\`, which must be higher than what daemons run now`;

export async function runPolicySign(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { 'key-file': { type: 'string' }, 'key-id': { type: 'string' }, expires: { type: 'string' }, out: { type: 'string' } },
    true,
  );
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('missing the policy FILE');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if ((values['key-file'] === undefined) === (values['key-id'] === undefined)) throw new UsageError('give exactly one of --key-file or --key-id');

  const text = readFileSync(file, 'utf8');
  const policy = parsePolicy(text, file); // throws PolicyError naming file:line:field
  let pem: string;
  let keySource: string;
  if (values['key-file'] !== undefined) {
    keySource = values['key-file'];
    pem = readFileSync(keySource, 'utf8');
  } else {
    keySource = `keychain entry policy-signing:${values['key-id']}`;
    const found = readKeychainSecret(`${SIGNING_KEY_ACCOUNT_PREFIX}${values['key-id']}`);
    if (found === null) throw new Error(`no signing key ${values['key-id']} in the OS keychain (make one with \`kagami admin keygen\`)`);
    pem = found;
  }
  let signer: ReturnType<typeof loadPrivateKey>;
  try {
    signer = loadPrivateKey(pem);
  } catch (error) {
    throw new Error(`${keySource}: not an Ed25519 private key in PEM form (${(error as Error).message})`, { cause: error });
  }
  const { key, keyId } = signer;
  const expiresAt = values.expires === undefined ? null : parseExpiry(values.expires);
  const bundle = signBundle({ policyText: text, version: policy.version, privateKey: key, keyId, expiresAt });
  const out = values.out ?? file.replace(/\.ya?ml$/i, '') + '.bundle.json';
  writeFileSync(out, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o644 });
  process.stderr.write(
    `Signed ${file} as version ${bundle.policy_version} with key ${keyId}${bundle.expires_at ? `, expires ${bundle.expires_at}` : ''}: ${out}\n`,
  );
  return EXIT.ok;
}

function parseExpiry(value: string): Date {
  const relative = /^(\d+)([dh])$/.exec(value);
  if (relative) {
    const amount = Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000);
    return new Date(Date.now() + amount);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--expires must be like 30d, 12h or an ISO date, got "${value}"`);
  if (date.getTime() <= Date.now()) throw new UsageError(`--expires ${value} is in the past`);
  return date;
}
