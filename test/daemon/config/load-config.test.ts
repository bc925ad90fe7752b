import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../../daemon/config/config-error.js';
import { findConfigFile, loadConfig, parseConfig } from '../../../daemon/config/load-config.js';
import type { LoadConfigOptions } from '../../../daemon/config/load-config.js';

/** The formatted issues a config text produces (empty when it loads). */
function problems(text: string, options: LoadConfigOptions = {}): string[] {
  try {
    parseConfig(text, 'kagami.yaml', { env: {}, ...options });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map(formatIssue);
  }
}

const yaml = (lines: string[]): string => `${lines.join('\n')}\n`;

describe('loadConfig errors', () => {
  it('names file, line, column and path of a bad URL', () => {
    const text = yaml([
      'providers:',
      '  - id: local',
      '    type: vllm',
      '    base_url: http://127.0.0.1:8000/v1',
      '  - id: openai',
      '    type: openai',
      '    base_url: api.openai.com',
    ]);
    expect(problems(text)).toEqual(['kagami.yaml:7:15: providers[1].base_url: must be a URL (http:// or https://)']);
  });

  it('reports an unknown key at the key, with a suggestion', () => {
    const text = yaml(['listen:', '  host: 127.0.0.1', '  prot: 9000']);
    expect(problems(text)).toEqual(['kagami.yaml:3:3: listen.prot: unknown key (did you mean "port"?)']);
  });

  it('reports every problem in one pass, in file order', () => {
    const text = yaml([
      'listen: { host: 0.0.0.0, port: 70000 }',
      'providers:',
      '  - id: openai',
      '    type: openai',
      '    api_key: { env: OPENAI_API_KEY, keychain: provider:openai }',
      '  - id: openai',
      '    type: openai',
      'models:',
      '  - name: fast',
      '    provider: opneai',
      '  - provider: openai',
    ]);
    expect(problems(text)).toEqual([
      'kagami.yaml:1:17: listen.host: must be a loopback address (127.0.0.1, ::1 or localhost): kagami never listens on the network, got "0.0.0.0"',
      'kagami.yaml:1:32: listen.port: must be <= 65535',
      'kagami.yaml:5:14: providers[0].api_key: must be { env: NAME } or { keychain: ACCOUNT }',
      'kagami.yaml:6:9: providers[1].id: duplicate provider id "openai" (first at providers[0])',
      'kagami.yaml:10:15: models[0].provider: unknown provider "opneai" (known: openai)',
      'kagami.yaml:11:5: models[1].name: is required',
    ]);
  });

  it('reports wrong types and YAML syntax errors with their position', () => {
    expect(problems(yaml(['limits:', '  body_bytes: lots']))).toEqual(['kagami.yaml:2:15: limits.body_bytes: must be integer']);
    const [syntax] = problems(yaml(['providers:', '  - id: a', ' type: b']));
    expect(syntax).toMatch(/^kagami\.yaml:3:\d+: /);
    expect(problems(yaml(['listen: {}', 'listen: {}']))[0]).toMatch(/^kagami\.yaml:2:1: Map keys must be unique/);
  });

  it('refuses provider types the daemon does not know, when given the list', () => {
    const text = yaml(['providers:', '  - id: x', '    type: openia']);
    expect(problems(text, { providerTypes: ['openai', 'vllm'] })).toEqual([
      'kagami.yaml:3:11: providers[0].type: unknown provider type "openia" (known: openai, vllm)',
    ]);
  });

  it('names the provider and the variable of a missing secret, never a value', () => {
    const text = yaml([
      'providers:',
      '  - id: openai',
      '    type: openai',
      '    api_key: { env: OPENAI_API_KEY }',
      '  - id: bedrock',
      '    type: bedrock',
      '    options:',
      '      secret_access_key: { keychain: "provider:bedrock" }',
    ]);
    expect(problems(text, { readSecret: () => null })).toEqual([
      'kagami.yaml:4:14: providers[0].api_key: provider "openai": environment variable OPENAI_API_KEY is not set',
      'kagami.yaml:8:26: providers[1].options.secret_access_key: provider "bedrock": keychain account "provider:bedrock" (service "kagami") has no entry',
    ]);
  });
});

describe('loadConfig results', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fills in defaults and resolves secrets from the environment into provider.secrets', () => {
    const config = parseConfig(
      yaml([
        'providers:',
        '  - id: openai',
        '    type: openai',
        '    api_key: { env: OPENAI_API_KEY }',
        '    options: { org: { env: OPENAI_ORG } }',
        'models:',
        '  - { name: gpt-4o-mini, provider: openai }',
      ]),
      join(dir, 'kagami.yaml'),
      { env: { OPENAI_API_KEY: 'sk-test-123', OPENAI_ORG: 'org-9', XDG_DATA_HOME: join(dir, 'data') } },
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8765 });
    expect(config.limits).toEqual({ body_bytes: 4_194_304, json_depth: 64 });
    expect(config.allowed_hosts).toEqual([]);
    expect(config.data_dir).toBe(join(dir, 'data', 'kagami'));
    const [provider] = config.providers;
    expect(provider?.timeouts).toEqual({ connect_ms: 5000, first_byte_ms: 60000, idle_ms: 30000, total_ms: 600000 });
    expect(provider?.secrets).toEqual({ api_key: 'sk-test-123', 'options.org': 'org-9' });
    expect(config.models[0]).toMatchObject({ name: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini' });
    expect(config.models[0]?.capabilities).toMatchObject({ chat: true, embeddings: false });
    expect(config.source).toBe(join(dir, 'kagami.yaml'));
  });

  it('returns a deep-frozen config', () => {
    const config = parseConfig('listen: { port: 9000 }\n', 'kagami.yaml', { env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('resolves a relative data_dir against the config file and ~ against home', () => {
    const file = join(dir, 'kagami.yaml');
    expect(parseConfig('data_dir: state\n', file, { env: {} }).data_dir).toBe(join(dir, 'state'));
    expect(parseConfig('data_dir: ~/kg\n', file, { env: {} }).data_dir).toMatch(/\/kg$/);
  });

  it('embedded defaults serve the simulator provider on the given URL', () => {
    const config = loadConfig(null, { simulatorUrl: 'http://127.0.0.1:4321/v1', env: { XDG_DATA_HOME: '/x' } });
    expect(config.source).toBeNull();
    expect(config.listen.port).toBe(8765);
    expect(config.data_dir).toBe('/x/kagami');
    expect(config.providers.map((p) => [p.id, p.type, p.base_url])).toEqual([['kagami-simulator', 'openai', 'http://127.0.0.1:4321/v1']]);
    expect(config.models.map((m) => m.name)).toEqual(['kagami-sim-chat', 'kagami-sim-embed']);
  });

  it('applies command-line overrides before validating them', () => {
    const config = parseConfig('listen: { port: 9000 }\n', 'kagami.yaml', { env: {}, overrides: { port: 0 } });
    expect(config.listen.port).toBe(0);
    expect(() => parseConfig('', 'kagami.yaml', { env: {}, overrides: { host: '10.0.0.1' } })).toThrow(/--host: must be a loopback address/);
  });

  it('blames an invalid override on its flag, not on the file line it replaced', () => {
    const text = 'listen:\n  host: 127.0.0.1\n  port: 8765\nmodels: [{ name: m, provider: nowhere }]\n';
    expect(problems(text, { overrides: { host: '0.0.0.0', port: 70000, data_dir: '/tmp/x' } })).toEqual([
      '--port: must be <= 65535',
      '--host: must be a loopback address (127.0.0.1, ::1 or localhost): kagami never listens on the network, got "0.0.0.0"',
      'kagami.yaml:4:31: models[0].provider: unknown provider "nowhere" (no providers are configured)',
    ]);
  });
});

describe('findConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-find-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers the flag, then KAGAMI_CONFIG, then ./kagami.yaml, then ~/.config/kagami/config.yaml', () => {
    const home = join(dir, 'config-home');
    mkdirSync(join(home, 'kagami'), { recursive: true });
    writeFileSync(join(home, 'kagami', 'config.yaml'), '');
    const env = { XDG_CONFIG_HOME: home };
    expect(findConfigFile(null, { env, cwd: dir })).toBe(join(home, 'kagami', 'config.yaml'));
    writeFileSync(join(dir, 'kagami.yaml'), '');
    expect(findConfigFile(null, { env, cwd: dir })).toBe(join(dir, 'kagami.yaml'));
    writeFileSync(join(dir, 'other.yaml'), '');
    expect(findConfigFile(null, { env: { ...env, KAGAMI_CONFIG: 'other.yaml' }, cwd: dir })).toBe(join(dir, 'other.yaml'));
    expect(findConfigFile('kagami.yaml', { env: { ...env, KAGAMI_CONFIG: 'other.yaml' }, cwd: dir })).toBe(join(dir, 'kagami.yaml'));
  });

  it('returns null when nothing is found, and fails for a named file that is missing', () => {
    expect(findConfigFile(null, { env: { XDG_CONFIG_HOME: join(dir, 'none') }, cwd: dir })).toBeNull();
    expect(() => findConfigFile('missing.yaml', { env: {}, cwd: dir })).toThrow(/missing\.yaml: config file not found \(named by --config\)/);
  });
});
