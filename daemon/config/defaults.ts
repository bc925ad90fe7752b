// What Kagami runs with when there is no config file: loopback on the documented port, the
// user's data dir, and one clearly named local provider, the built-in simulator
// (daemon/mock-upstream/), so the first curl and SDK call work without any account.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../secrets/read-secret.js';

export const DEFAULT_PORT = 8765;
export const SIMULATOR_PROVIDER_ID = 'kagami-simulator';
/** The adapter the simulator is served through: it is an OpenAI-compatible upstream. */
export const SIMULATOR_PROVIDER_TYPE = 'openai';
export const SIMULATOR_CHAT_MODEL = 'kagami-sim-chat';
export const SIMULATOR_EMBED_MODEL = 'kagami-sim-embed';

/** $XDG_DATA_HOME/kagami, else ~/.local/share/kagami. */
export function defaultDataDir(env: Env = process.env): string {
  const base = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'kagami');
}

/** The embedded config (before defaults), pointing the simulator provider at `simulatorUrl`. */
export function embeddedConfig(simulatorUrl: string): Record<string, unknown> {
  return {
    providers: [{ id: SIMULATOR_PROVIDER_ID, type: SIMULATOR_PROVIDER_TYPE, base_url: simulatorUrl, region: 'local', on_prem: true }],
    models: [
      {
        name: SIMULATOR_CHAT_MODEL,
        provider: SIMULATOR_PROVIDER_ID,
        capabilities: { chat: true, completions: true, tools: true, json_mode: true, context_window: 128000 },
        price: { input_per_1m: 0, output_per_1m: 0 },
      },
      {
        name: SIMULATOR_EMBED_MODEL,
        provider: SIMULATOR_PROVIDER_ID,
        capabilities: { chat: false, embeddings: true },
        price: { input_per_1m: 0, output_per_1m: 0 },
      },
    ],
  };
}
