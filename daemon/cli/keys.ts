// `kagami keys create|list|revoke`: virtual keys, straight on the SQLite file. A running daemon
// sees the change within a second (KeyStore watches PRAGMA data_version).
import { openDatabase, openExistingDatabase } from '../store/db.js';
import { KeyStore } from '../store/keys-store.js';
import type { VirtualKeyInfo } from '../store/keys-store.js';
import { EXIT, parseFlags, requireFlag, UsageError } from './command.js';
import type { CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_USAGE, loadConfigWithoutSecrets } from './config-flags.js';

const USAGE = `Usage:
  kagami keys create --tenant T --user U [--role R] [--models a,b] [--json]
  kagami keys list [--json]
  kagami keys revoke <key id | key prefix>

Creates, lists and revokes virtual keys (what clients send as their OpenAI API key).
A new key is printed once; only its SHA-256 hash is stored.

Options:
  --tenant T        team or tenant the key bills to (create)
  --user U          person or service using it (create)
  --role R          optional role, for policy rules (create)
  --models a,b      model aliases the key may use (create; default: any)
  --json            machine-readable output
${CONFIG_FLAGS_USAGE}`;

/** Only `create` may create the data dir and its database; list and revoke need an existing one. */
function openKeyStore(flags: Parameters<typeof loadConfigWithoutSecrets>[0], create = false): { store: KeyStore; models: string[]; close(): void } {
  const config = loadConfigWithoutSecrets(flags);
  const db = create ? openDatabase(config.data_dir) : openExistingDatabase(config.data_dir);
  const store = new KeyStore(db, { refreshMs: 0 });
  return { store, models: config.models.map((m) => m.name), close: () => db.close() };
}

function describe(info: VirtualKeyInfo): string {
  const status = info.revokedAt === null ? 'active' : `revoked ${new Date(info.revokedAt).toISOString()}`;
  return [
    info.id.padEnd(22),
    info.prefix.padEnd(18),
    info.tenant.padEnd(14),
    info.user.padEnd(14),
    (info.role ?? '-').padEnd(10),
    (info.models?.join(',') ?? 'any').padEnd(20),
    new Date(info.createdAt).toISOString().slice(0, 19).replace('T', ' ').padEnd(20),
    status,
  ].join(' ');
}

async function run(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === 'create') {
    const { values, positionals } = parseFlags(rest, {
      ...CONFIG_FLAGS,
      tenant: { type: 'string' },
      user: { type: 'string' },
      role: { type: 'string' },
      models: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const tenant = requireFlag(values.tenant, 'tenant');
    const user = requireFlag(values.user, 'user');
    const models = values.models?.split(',').map((m) => m.trim()).filter((m) => m !== '') ?? null;
    const { store, models: known, close } = openKeyStore(values, true);
    try {
      const unknown = models?.filter((m) => !known.includes(m)) ?? [];
      if (unknown.length > 0) {
        // A warning, not an error: the config may be about to gain these models.
        process.stderr.write(`warning: not in the current config's models: ${unknown.join(', ')} (known: ${known.join(', ') || 'none'})\n`);
      }
      const { id, key, info } = store.create({ tenant, user, role: values.role ?? null, models });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...info, key })}\n`);
      } else {
        process.stderr.write(`Created virtual key ${id} (tenant ${tenant}, user ${user}, models: ${models?.join(', ') ?? 'any'}):\n\n`);
        process.stdout.write(`${key}\n`);
        process.stderr.write('\nCopy it now: it will not be shown again (Kagami stores only its hash).\n');
      }
      return EXIT.ok;
    } finally {
      close();
    }
  }
  if (action === 'list') {
    const { values } = parseFlags(rest, { ...CONFIG_FLAGS, json: { type: 'boolean' } });
    const { store, close } = openKeyStore(values);
    try {
      const keys = store.list();
      if (values.json) process.stdout.write(`${JSON.stringify(keys)}\n`);
      else if (keys.length === 0) process.stderr.write('No virtual keys yet. Create one with `kagami keys create --tenant T --user U`.\n');
      else {
        const header = ['ID'.padEnd(22), 'PREFIX'.padEnd(18), 'TENANT'.padEnd(14), 'USER'.padEnd(14), 'ROLE'.padEnd(10), 'MODELS'.padEnd(20), 'CREATED (UTC)'.padEnd(20), 'STATUS'];
        process.stdout.write(`${[header.join(' '), ...keys.map(describe)].join('\n')}\n`);
      }
      return EXIT.ok;
    } finally {
      close();
    }
  }
  if (action === 'revoke') {
    const { values, positionals } = parseFlags(rest, CONFIG_FLAGS, true);
    if (positionals.length !== 1) throw new UsageError('revoke takes exactly one key id or prefix');
    const { store, close } = openKeyStore(values);
    try {
      let info: VirtualKeyInfo;
      try {
        info = store.revoke(positionals[0] as string);
      } catch (error) {
        if (error instanceof RangeError) {
          process.stderr.write(`kagami keys revoke: ${error.message}\n`);
          return EXIT.failed;
        }
        throw error;
      }
      process.stderr.write(`Revoked ${info.id} (${info.prefix}, tenant ${info.tenant}, user ${info.user}). A running daemon refuses it within a second.\n`);
      return EXIT.ok;
    } finally {
      close();
    }
  }
  throw new UsageError(action === undefined ? 'missing action (create, list or revoke)' : `unknown action "${action}"`);
}

export const command: CliCommand = { summary: 'create, list and revoke virtual keys', usage: USAGE, run };
