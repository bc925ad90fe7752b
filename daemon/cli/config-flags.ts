// The flags every command that reads the config shares (--config, --data-dir), and turning
// them into a loaded config.
import { resolve } from 'node:path';
import type { Config } from '../../shared/schemas/config.js';
import { findConfigFile, loadConfig } from '../config/load-config.js';
import type { LoadConfigOptions } from '../config/load-config.js';

export const CONFIG_FLAGS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const CONFIG_FLAGS_USAGE = `  --config FILE     config file (default: $KAGAMI_CONFIG, ./kagami.yaml, ~/.config/kagami/config.yaml)
  --data-dir DIR    data directory (default: the config's data_dir, else ~/.local/share/kagami)`;

export interface ConfigFlagValues {
  readonly config?: string | undefined;
  readonly 'data-dir'?: string | undefined;
}

/** The config file the flags select (null = embedded defaults). */
export function configFileFrom(flags: ConfigFlagValues): string | null {
  return findConfigFile(flags.config ?? null);
}

/** Loads the config for a command that needs only its non-secret parts (data_dir, models). */
export function loadConfigWithoutSecrets(flags: ConfigFlagValues, options: LoadConfigOptions = {}): Config {
  const dataDir = flags['data-dir'];
  return loadConfig(configFileFrom(flags), {
    ...options,
    resolveSecrets: false,
    overrides: { ...options.overrides, ...(dataDir !== undefined ? { data_dir: resolve(dataDir) } : {}) },
  });
}
