// The config schema as an editor sees it (shared/schemas/config.schema.json, checked in; a test
// regenerates and diffs it). Fields with a default are required in the loaded Config but
// optional in the file, so they are dropped from `required` here.
import { ConfigFile } from '../../shared/schemas/config.js';

type JsonSchema = Record<string, unknown>;

function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) out[key] = relax(value);
  const properties = out.properties as Record<string, JsonSchema> | undefined;
  if (Array.isArray(out.required) && properties) {
    const required = (out.required as string[]).filter((name) => properties[name]?.default === undefined);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Kagami config (kagami.yaml)',
    ...(relax(ConfigFile) as JsonSchema),
  };
}
