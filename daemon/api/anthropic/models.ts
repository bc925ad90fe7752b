// GET /v1/models and /v1/models/{id} in Anthropic's shapes, for clients that send
// anthropic-version (the Anthropic SDK's models.list() / models.retrieve()). The routes
// themselves are core-http's; they call these.
import type { ModelEntry } from '../../../shared/schemas/openai.js';

export function anthropicModel(model: ModelEntry): Record<string, unknown> {
  return { type: 'model', id: model.id, display_name: model.id, created_at: new Date(model.created * 1000).toISOString() };
}

export function anthropicModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  const data = models.map(anthropicModel);
  return { data, has_more: false, first_id: data[0]?.['id'] ?? null, last_id: data[data.length - 1]?.['id'] ?? null };
}
