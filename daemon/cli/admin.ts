// `kagami admin keygen`: an Ed25519 key pair for signing team policy. The private key goes to
// the OS keychain (account `policy-signing:<key id>`) or to a file the admin names (mode 0600,
// never overwritten); the public key is printed as the `policy.trusted_keys` entry daemons need.
import { writeFileSync } from 'node:fs';
import { generateSigningKey } from '../policy/bundle/signing-key.js';
import { INTERNAL_ACCOUNT_PREFIXES, writeKeychainSecret } from '../secrets/keychain.js';
import { EXIT, parseFlags, UsageError } from './command.js';
import type { CliCommand } from './command.js';

const USAGE = `Usage:
  kagami admin keygen [--out FILE] [--name NAME]

Makes an Ed25519 key pair for signing team policy bundles (\`kagami policy sign\`).
The private key is stored in the OS keychain (service "kagami", account "policy-signing:<key id>"),
or, with --out, written to FILE with mode 0600 (an existing file is never overwritten).
Prints the key id and the public key to add to every daemon's config under policy.trusted_keys.

Options:
  --out FILE     write the private key (PKCS#8 PEM) to FILE instead of the keychain
  --name NAME    a label for the key in the printed trusted_keys entry`;

export const SIGNING_KEY_ACCOUNT_PREFIX = INTERNAL_ACCOUNT_PREFIXES.policySigning;

async function run(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'keygen') throw new UsageError(action === undefined ? 'missing subcommand' : `unknown subcommand "${action}"`);
  const { values, positionals } = parseFlags(rest, { out: { type: 'string' }, name: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const pair = generateSigningKey();
  let storedAt: string;
  if (values.out !== undefined) {
    writeFileSync(values.out, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    storedAt = `file ${values.out} (mode 0600)`;
  } else {
    writeKeychainSecret(`${SIGNING_KEY_ACCOUNT_PREFIX}${pair.keyId}`, pair.privateKeyPem);
    storedAt = `OS keychain, service "kagami", account "${SIGNING_KEY_ACCOUNT_PREFIX}${pair.keyId}"`;
  }
  process.stderr.write(`Created policy signing key ${pair.keyId}; private key in the ${storedAt}.\n`);
  process.stderr.write('Add this to every daemon\'s config (kagami.yaml):\n\n');
  const name = values.name !== undefined ? `\n      name: ${JSON.stringify(values.name)}` : '';
  process.stdout.write(`policy:\n  trusted_keys:\n    - id: ${pair.keyId}\n      public_key: ${pair.publicKey}${name}\n`);
  return EXIT.ok;
}

export const command: CliCommand = { summary: 'admin tools: keygen (policy signing key)', usage: USAGE, run };
