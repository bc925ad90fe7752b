import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../daemon/config/json-schema.js';

const schemaFile = fileURLToPath(new URL('../../../shared/schemas/config.schema.json', import.meta.url));

describe('shared/schemas/config.schema.json', () => {
  it('is the editor schema emitted from shared/schemas/config.ts (KAGAMI_UPDATE_SCHEMAS=1 rewrites it)', () => {
    const emitted = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (process.env.KAGAMI_UPDATE_SCHEMAS === '1') writeFileSync(schemaFile, emitted);
    expect(readFileSync(schemaFile, 'utf8')).toBe(emitted);
  });

  it('accepts a file that leaves out every defaulted field', () => {
    const { $schema: _drop, ...schema } = configJsonSchema();
    const check = Compile(schema as never);
    expect(check.Check({ providers: [{ id: 'openai', type: 'openai' }], models: [{ name: 'm', provider: 'openai' }] })).toBe(true);
    expect(check.Check({ providers: [{ id: 'openai' }] })).toBe(false);
  });
});
