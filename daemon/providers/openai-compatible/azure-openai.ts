// Azure OpenAI (chat completions on deployments): the deployment is in the URL, the API
// version in the query, the key in an `api-key` header. Streams open with a prompt-filter
// chunk (object "", no id/model, no choices) that OpenAI clients must not see, and every
// choice carries content_filter_results, which OpenAI's schema does not have.
// options: { api_version?: string, deployments?: { <upstream model>: <deployment name> } }
import type { JsonObject } from '../../pipeline/context.js';
import { defineProvider, type WireCall } from '../types.js';
import { signAzureRequest } from '../azure/entra-auth.js';

const DEFAULT_API_VERSION = '2024-10-21';
const OPERATION_PATHS = { chat: 'chat/completions', completion: 'completions', embedding: 'embeddings' } as const;

function deploymentFor(call: WireCall): string {
  const deployments = call.connection.options.deployments as Record<string, unknown> | undefined;
  const mapped = deployments?.[call.upstreamModel];
  return typeof mapped === 'string' ? mapped : call.upstreamModel;
}

function stripFilterResults(body: JsonObject): JsonObject {
  const choices = body.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices as Record<string, unknown>[]) delete choice.content_filter_results;
  }
  delete body.prompt_filter_results;
  return body;
}

export const azureOpenai = defineProvider({
  id: 'azure-openai',
  wire: 'openai-chat',
  defaultBaseUrl: 'https://example.openai.azure.com',
  auth: { kind: 'sign', sign: signAzureRequest }, // api-key, or an Entra ID token (providers/azure/entra-auth.ts)
  capabilities: { chat: true, completions: true, embeddings: true, streaming: true, tools: true },
  quirks: {
    path: (call) => {
      const version = call.connection.options.api_version;
      const apiVersion = encodeURIComponent(typeof version === 'string' ? version : DEFAULT_API_VERSION);
      return `/openai/deployments/${encodeURIComponent(deploymentFor(call))}/${OPERATION_PATHS[call.op]}?api-version=${apiVersion}`;
    },
    response: (body) => stripFilterResults(body),
    streamChunk: (chunk) => {
      // The prompt-filter preamble: nothing an OpenAI client can use.
      if (chunk.object === '' && Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      return stripFilterResults(chunk);
    },
  },
});
