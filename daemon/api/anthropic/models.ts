// GET /v1/models in Anthropic's list shape, for clients that send anthropic-version (the
// Anthropic SDK's models.list()). The route itself is core-http's; it calls this.
import type { ModelEntry } from '../../../shared/schemas/openai.js';

export function anthropicModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  const data = models.map((model) => ({
    type: 'model',
    id: model.id,
    display_name: model.id,
    created_at: new Date(model.created * 1000).toISOString(),
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}
