// Loading the config: find the file → parse YAML (keeping positions) → fill defaults →
// validate against shared/schemas/config.ts (compiled once) → cross-checks (loopback listen,
// unique ids, models naming known providers) → resolve secrets → deep-frozen Config.
// Every problem found is reported at once, each as `file:line:col: path: message`.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Compile } from 'typebox/compile';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigFile } from '../../shared/schemas/config.js';
import type { Config, ProviderConfig, ResolvedProvider, SecretRef } from '../../shared/schemas/config.js';
import { KeychainUnavailableError } from '../secrets/keychain.js';
import { describeSecretRef, isSecretRef, readSecret as readSecretDefault } from '../secrets/read-secret.js';
import type { Env } from '../secrets/read-secret.js';
import { ConfigError, formatPath, SourceMap } from './config-error.js';
import type { ConfigIssue, PathSegment } from './config-error.js';
import { defaultDataDir, embeddedConfig } from './defaults.js';
import { schemaIssues } from './schema-issues.js';

const validator = Compile(ConfigFile);

export interface LoadConfigOptions {
  /** Environment for `{ env: … }` refs, XDG dirs and KAGAMI_CONFIG (default process.env). */
  readonly env?: Env;
  /** Base URL of the in-process simulator; required when loading the embedded defaults. */
  readonly simulatorUrl?: string;
  /** Adapter ids the daemon knows (daemon/providers/index.ts); when given, other `type`s are errors. */
  readonly providerTypes?: readonly string[];
  /** Secret reader (tests); defaults to env + OS keychain. */
  readonly readSecret?: (ref: SecretRef, env: Env) => string | null;
  /** Where relative lookups start (default process.cwd()). */
  readonly cwd?: string;
  /** false: skip reading secrets (CLI commands that only need data_dir); `secrets` stay empty. */
  readonly resolveSecrets?: boolean;
  /** Command-line overrides, applied before validation. */
  readonly overrides?: { readonly host?: string; readonly port?: number; readonly data_dir?: string };
}

/**
 * The config file to use: the --config flag, else $KAGAMI_CONFIG, else ./kagami.yaml, else
 * $XDG_CONFIG_HOME/kagami/config.yaml (~/.config/kagami/config.yaml); null = embedded defaults.
 * A file named by the flag or the variable must exist.
 */
export function findConfigFile(flag?: string | null, options: Pick<LoadConfigOptions, 'env' | 'cwd'> = {}): string | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = flag ?? (env.KAGAMI_CONFIG !== undefined && env.KAGAMI_CONFIG !== '' ? env.KAGAMI_CONFIG : null);
  if (named !== null) {
    const file = resolve(cwd, named);
    if (!existsSync(file)) {
      const via = flag ? '--config' : 'KAGAMI_CONFIG';
      throw new ConfigError([{ file: named, line: 0, col: 0, path: '', message: `config file not found (named by ${via})` }]);
    }
    return file;
  }
  const configHome = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  for (const candidate of [resolve(cwd, 'kagami.yaml'), join(configHome, 'kagami', 'config.yaml')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Loads the config. `file` undefined: look it up (findConfigFile); null: the embedded defaults
 * (needs options.simulatorUrl). Throws ConfigError listing every problem.
 */
export function loadConfig(file?: string | null, options: LoadConfigOptions = {}): Config {
  const path = file === undefined ? findConfigFile(null, options) : file;
  if (path === null) {
    if (options.simulatorUrl === undefined && options.resolveSecrets !== false) {
      throw new Error('loadConfig: the embedded defaults need options.simulatorUrl');
    }
    return buildConfig(embeddedConfig(options.simulatorUrl ?? 'http://127.0.0.1:0/v1'), new SourceMap('<embedded defaults>', null, new LineCounter()), null, options);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file: path, line: 0, col: 0, path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseConfig(text, path, options);
}

/** Parses and loads config YAML text; `file` names it in errors and anchors relative paths. */
export function parseConfig(text: string, file: string, options: LoadConfigOptions = {}): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(file, doc, lineCounter);
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => source.at(error.pos[0], '', error.message.replace(/\s+at line \d+.*$/s, ''))));
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError([source.issue([], 'the config must be a mapping (key: value lines)')]);
  }
  return buildConfig(raw as Record<string, unknown>, source, file, options);
}

function buildConfig(raw: Record<string, unknown>, source: SourceMap, file: string | null, options: LoadConfigOptions): Config {
  const env = options.env ?? process.env;
  const value = validator.Default(applyOverrides(raw, options.overrides));
  if (!validator.Check(value)) {
    // Report the cross-checks too (they tolerate ill-typed parts), so one pass shows everything.
    const all = [...schemaIssues(ConfigFile as unknown as Record<string, unknown>, validator.Errors(value), source), ...crossCheck(value, source, options)];
    throw new ConfigError(blameOverrides(all, options.overrides).sort((a, b) => a.line - b.line || a.col - b.col));
  }
  const issues = crossCheck(value, source, options);
  if (issues.length > 0) throw new ConfigError(blameOverrides(issues, options.overrides));

  const providers: ResolvedProvider[] = [];
  for (const [index, provider] of value.providers.entries()) {
    const secrets: Record<string, string> = {};
    for (const { ref, path } of options.resolveSecrets === false ? [] : findSecretRefs(provider)) {
      const at = ['providers', index, ...path];
      try {
        const secret = (options.readSecret ?? readSecretDefault)(ref, env);
        if (secret === null) issues.push(source.issue(at, `provider "${provider.id}": ${describeSecretRef(ref)} ${'env' in ref ? 'is not set' : 'has no entry'}`));
        else secrets[formatPath(path)] = secret;
      } catch (error) {
        if (!(error instanceof KeychainUnavailableError)) throw error;
        issues.push(source.issue(at, `provider "${provider.id}": cannot read ${describeSecretRef(ref)}: ${error.message}`));
      }
    }
    providers.push({ ...provider, secrets });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const base = file === null ? (options.cwd ?? process.cwd()) : dirname(file);
  const config = {
    ...value,
    data_dir: resolveDataDir(value.data_dir, base, env),
    providers,
    models: value.models.map((model) => ({ ...model, model: model.model ?? model.name })),
    source: file,
  };
  return deepFreeze(config);
}

function applyOverrides(raw: Record<string, unknown>, overrides: LoadConfigOptions['overrides']): Record<string, unknown> {
  if (!overrides) return raw;
  const listen = { ...asRecord(raw.listen) };
  if (overrides.host !== undefined) listen.host = overrides.host;
  if (overrides.port !== undefined) listen.port = overrides.port;
  const out: Record<string, unknown> = { ...raw, listen };
  if (overrides.data_dir !== undefined) out.data_dir = overrides.data_dir;
  return out;
}

/** Each override's config path and the command-line flag that sets it. */
const OVERRIDE_FLAGS = { host: ['listen.host', '--host'], port: ['listen.port', '--port'], data_dir: ['data_dir', '--data-dir'] } as const;

/** A value given on the command line is blamed on its flag, not on the file's line (which may say otherwise). */
function blameOverrides(issues: ConfigIssue[], overrides: LoadConfigOptions['overrides']): ConfigIssue[] {
  if (!overrides) return issues;
  const flags = new Map<string, string>();
  for (const [key, [path, flag]] of Object.entries(OVERRIDE_FLAGS)) if (overrides[key as keyof typeof OVERRIDE_FLAGS] !== undefined) flags.set(path, flag);
  return issues.map((issue) => {
    const flag = flags.get(issue.path);
    return flag === undefined ? issue : { ...issue, line: 0, col: 0, flag };
  });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

/** Checks across fields. Runs on unvalidated input too, so it reads defensively. */
function crossCheck(config: unknown, source: SourceMap, options: LoadConfigOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const root = asRecord(config);
  const host = asRecord(root.listen).host;
  if (typeof host === 'string' && !LOOPBACK_HOSTS.has(host) && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    issues.push(source.issue(['listen', 'host'], `must be a loopback address (127.0.0.1, ::1 or localhost): kagami never listens on the network, got "${host}"`));
  }
  const providerIndex = new Map<string, number>();
  for (const [index, provider] of asArray(root.providers).entries()) {
    const { id, type } = asRecord(provider);
    if (typeof id === 'string') {
      const first = providerIndex.get(id);
      if (first !== undefined) issues.push(source.issue(['providers', index, 'id'], `duplicate provider id "${id}" (first at providers[${first}])`));
      else providerIndex.set(id, index);
    }
    if (typeof type === 'string' && options.providerTypes && !options.providerTypes.includes(type)) {
      issues.push(source.issue(['providers', index, 'type'], `unknown provider type "${type}" (known: ${options.providerTypes.join(', ')})`));
    }
  }
  const modelIndex = new Map<string, number>();
  for (const [index, model] of asArray(root.models).entries()) {
    const { name, provider } = asRecord(model);
    if (typeof name === 'string') {
      const first = modelIndex.get(name);
      if (first !== undefined) issues.push(source.issue(['models', index, 'name'], `duplicate model name "${name}" (first at models[${first}])`));
      else modelIndex.set(name, index);
    }
    if (typeof provider === 'string' && !providerIndex.has(provider)) {
      const known = [...providerIndex.keys()];
      issues.push(
        source.issue(['models', index, 'provider'], `unknown provider "${provider}" (${known.length > 0 ? `known: ${known.join(', ')}` : 'no providers are configured'})`),
      );
    }
  }
  return issues;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every SecretRef in a provider block: `api_key`, and any ref-shaped object under `options`. */
function findSecretRefs(provider: ProviderConfig): { ref: SecretRef; path: PathSegment[] }[] {
  const found: { ref: SecretRef; path: PathSegment[] }[] = [];
  if (provider.api_key) found.push({ ref: provider.api_key, path: ['api_key'] });
  const walk = (value: unknown, path: PathSegment[]): void => {
    if (isSecretRef(value)) found.push({ ref: value, path });
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(provider.options, ['options']);
  return found;
}

function resolveDataDir(configured: string | undefined, base: string, env: Env): string {
  if (configured === undefined) return defaultDataDir(env);
  if (configured === '~' || configured.startsWith('~/')) return join(homedir(), configured.slice(1));
  return isAbsolute(configured) ? configured : resolve(base, configured);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
