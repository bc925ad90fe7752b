// OpenAI /v1/embeddings ↔ Gemini batchEmbedContents (Generative Language API) and Vertex AI
// predict (text-embedding models). Only string inputs: token-id inputs have no Google form.
import { GatewayError } from '../../../shared/errors.js';
import type { JsonObject, Usage } from '../../pipeline/context.js';
import { totalUsage } from '../openai-shapes.js';
import { parseGeminiJson } from './response.js';

export function embeddingInputs(body: JsonObject, provider: string): string[] {
  const input = body['input'];
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list) || !list.every((item): item is string => typeof item === 'string')) {
    throw new GatewayError('unsupported_feature', `${provider} embeds text only: input must be a string or an array of strings`, {
      param: 'input',
    });
  }
  return list;
}

function outputDimensionality(body: JsonObject): number | undefined {
  return typeof body['dimensions'] === 'number' ? body['dimensions'] : undefined;
}

export function toGeminiEmbedRequest(body: JsonObject, model: string): JsonObject {
  const dimensions = outputDimensionality(body);
  return {
    requests: embeddingInputs(body, 'gemini').map((text) => {
      const request: JsonObject = { model: `models/${model}`, content: { parts: [{ text }] } };
      if (dimensions !== undefined) request['outputDimensionality'] = dimensions;
      return request;
    }),
  };
}

function embeddingList(vectors: number[][], model: string, usage: Usage): JsonObject {
  return {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.totalTokens },
  };
}

/** batchEmbedContents reports no token counts: usage is 0 (the audit row says so honestly). */
export function fromGeminiEmbedResponse(raw: string, model: string): { body: JsonObject; usage: Usage } {
  const response = parseGeminiJson(raw);
  const vectors = ((response['embeddings'] as { values?: number[] }[] | undefined) ?? []).map((entry) => entry.values ?? []);
  const usage = totalUsage(0, 0);
  return { body: embeddingList(vectors, model, usage), usage };
}

export function toVertexPredictRequest(body: JsonObject): JsonObject {
  const request: JsonObject = { instances: embeddingInputs(body, 'vertex').map((content) => ({ content })) };
  const dimensions = outputDimensionality(body);
  if (dimensions !== undefined) request['parameters'] = { outputDimensionality: dimensions };
  return request;
}

export function fromVertexPredictResponse(raw: string, model: string): { body: JsonObject; usage: Usage } {
  const response = parseGeminiJson(raw);
  const predictions = (response['predictions'] as { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[] | undefined) ?? [];
  const tokens = predictions.reduce((sum, prediction) => sum + (prediction.embeddings?.statistics?.token_count ?? 0), 0);
  const usage = totalUsage(tokens, 0);
  return { body: embeddingList(predictions.map((prediction) => prediction.embeddings?.values ?? []), model, usage), usage };
}
