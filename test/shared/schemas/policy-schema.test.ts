import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Policy } from '../../../shared/schemas/policy.js';

const schemaFile = fileURLToPath(new URL('../../../shared/schemas/policy.schema.json', import.meta.url));

describe('shared/schemas/policy.schema.json', () => {
  it('is the JSON Schema emitted from shared/schemas/policy.ts (KAGAMI_UPDATE_SCHEMAS=1 rewrites it)', () => {
    const emitted = `${JSON.stringify(Policy, null, 2)}\n`;
    if (process.env.KAGAMI_UPDATE_SCHEMAS === '1') writeFileSync(schemaFile, emitted);
    expect(readFileSync(schemaFile, 'utf8')).toBe(emitted);
  });
});
