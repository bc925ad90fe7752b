// `kagami secrets set|delete|list`: provider keys in the OS keychain (service "kagami"), for
// config refs like `api_key: { keychain: provider:openai }`. A value is read from stdin, never
// from the command line (arguments are visible to every user in `ps`).
import { deleteKeychainSecret, listKeychainAccounts, writeKeychainSecret } from '../secrets/keychain.js';
import { EXIT, parseFlags, UsageError } from './command.js';
import type { CliCommand } from './command.js';

const USAGE = `Usage:
  kagami secrets set <account>      read the value from stdin (e.g. pasted, then Ctrl-D)
  kagami secrets delete <account>
  kagami secrets list [--json]      your accounts with a fingerprint and last 4 characters (not Kagami's own keys)

Stores provider keys in the OS keychain under service "kagami". Reference one from the config
with  api_key: { keychain: <account> }  (the desktop app uses accounts named provider:<id>).`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Paste the secret, then press Enter and Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function run(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseFlags(rest, { json: { type: 'boolean' } }, true);
  if (action === 'list') {
    const accounts = listKeychainAccounts();
    if (values.json) process.stdout.write(`${JSON.stringify(accounts)}\n`);
    else if (accounts.length === 0) process.stderr.write('No kagami secrets in the keychain.\n');
    else process.stdout.write(`${accounts.map((a) => `${a.account.padEnd(32)} sha256:${a.fingerprint}  ${a.last4 === '' ? '(PEM key)' : `…${a.last4}`}`).join('\n')}\n`);
    return EXIT.ok;
  }
  if (action !== 'set' && action !== 'delete') {
    throw new UsageError(action === undefined ? 'missing action (set, delete or list)' : `unknown action "${action}"`);
  }
  if (positionals.length !== 1) throw new UsageError(`${action} takes exactly one account name`);
  const account = positionals[0] as string;
  if (action === 'set') {
    const value = await readStdin();
    if (value === '') throw new UsageError('no secret on stdin');
    writeKeychainSecret(account, value);
    process.stderr.write(`Stored keychain account "${account}" (service kagami).\n`);
    return EXIT.ok;
  }
  if (!deleteKeychainSecret(account)) {
    process.stderr.write(`kagami secrets delete: no keychain account "${account}"\n`);
    return EXIT.failed;
  }
  process.stderr.write(`Deleted keychain account "${account}".\n`);
  return EXIT.ok;
}

export const command: CliCommand = { summary: 'store provider keys in the OS keychain', usage: USAGE, run };
