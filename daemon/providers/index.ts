// The provider registry: the ONLY file naming providers. Adding an adapter is its folder
// plus one line in ADAPTERS. Config `providers[].type` picks an entry by id.
import { anthropicProvider } from './anthropic/adapter.js';
import { bedrockProvider } from './bedrock/adapter.js';
import { geminiProvider } from './gemini/adapter.js';
import { azureOpenai } from './openai-compatible/azure-openai.js';
import { lmstudio } from './openai-compatible/lmstudio.js';
import { ollama } from './openai-compatible/ollama.js';
import { openai } from './openai-compatible/openai.js';
import { tgi } from './openai-compatible/tgi.js';
import { vllm } from './openai-compatible/vllm.js';
import { createOpenAiCompatibleWire } from './openai-compatible/wire.js';
import type { ProviderAdapter, ProviderDefinition } from './types.js';
import { vertexProvider } from './vertex/adapter.js';

const ADAPTERS: readonly ProviderDefinition[] = [
  openai,
  azureOpenai,
  vllm,
  ollama,
  tgi,
  lmstudio,
  anthropicProvider,
  geminiProvider,
  vertexProvider,
  bedrockProvider,
];

function resolve(definition: ProviderDefinition): ProviderAdapter {
  const wire = definition.wire === 'openai-chat' ? createOpenAiCompatibleWire(definition.quirks) : definition.wire;
  return { id: definition.id, defaultBaseUrl: definition.defaultBaseUrl, auth: definition.auth, capabilities: definition.capabilities, wire };
}

const byId = new Map<string, ProviderAdapter>(ADAPTERS.map((definition) => [definition.id, resolve(definition)]));

/** The adapter for a config `providers[].type`, or undefined. */
export function findAdapter(type: string): ProviderAdapter | undefined {
  return byId.get(type);
}

/** Every registered adapter id (for config validation and `kagami` help). */
export function adapterIds(): string[] {
  return [...byId.keys()];
}
