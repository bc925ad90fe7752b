import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Policy } from '../../../shared/schemas/policy.js';

const schemaFile = fileURLToPath(new URL('../../../shared/schemas/policy.schema.json', import.meta.url));

/** The README's example: PII stays on-prem, limits, budgets, a cached rule. */
const example = `version: 1
endpoints:
  onprem: { provider: vllm, model: llama-3.1-70b, on_prem: true, health_check: { path: /models } }
  mini: { provider: openai, model: gpt-4o-mini, price: { input_per_1m: 0.15, output_per_1m: 0.6 } }
data_classes:
  pii-restricted: { entities: [EMAIL, JP_NAME, JP_MY_NUMBER], on_prem_only: true }
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: onprem
  - name: faq
    when: { metadata: { app: faq } }
    route_to: mini
    cache: { ttl_s: 600 }
default: { route_to: mini, fallback: [onprem] }
limits:
  - { per: tenant, requests_per_min: 600, tokens_per_min: 200000 }
budgets:
  - { per: tenant, monthly_usd: 500, daily_usd: 40, soft_ratio: 0.8 }
cache: { enabled: false, ttl_s: 300 }
`;

function checkedInSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
}

describe('shared/schemas/policy.schema.json', () => {
  it('is the JSON Schema emitted from shared/schemas/policy.ts (KAGAMI_UPDATE_SCHEMAS=1 rewrites it)', () => {
    const emitted = `${JSON.stringify(Policy, null, 2)}\n`;
    if (process.env.KAGAMI_UPDATE_SCHEMAS === '1') {
      // CI must compare, never regenerate: otherwise the guard could not fail.
      expect(process.env.CI, 'KAGAMI_UPDATE_SCHEMAS must not be set in CI').toBeFalsy();
      writeFileSync(schemaFile, emitted);
    }
    expect(readFileSync(schemaFile, 'utf8')).toBe(emitted);
  });

  it('accepts the README example policy in an editor, and rejects a misspelt field', () => {
    const check = Compile(checkedInSchema() as never);
    const document = parse(example) as Record<string, unknown>;
    expect(check.Check(document)).toBe(true);

    const misspelt = parse(example.replace('requests_per_min', 'request_per_min')) as Record<string, unknown>;
    expect(check.Check(misspelt)).toBe(false);
    const unknownEntity = parse(example.replace('JP_MY_NUMBER', 'MY_NUMBER')) as Record<string, unknown>;
    expect(check.Check(unknownEntity)).toBe(false);
  });
});
