// Turns a query string (everything a string) or CLI flags into a typed, validated audit filter:
// numbers converted per the schema, then checked once by a validator compiled at import.
// A bad filter is a 400 naming the field, never a silently ignored one.
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { Convert } from 'typebox/value';
import { GatewayError } from '../../shared/errors.js';

export interface FilterParser<T> {
  (input: Record<string, unknown>): T;
}

export function createFilterParser<T>(schema: TSchema): FilterParser<T> {
  const validator = Compile(schema);
  return (input) => {
    const value = Convert(schema, { ...input });
    if (validator.Check(value)) return value as T;
    const [first] = validator.Errors(value);
    const field = first?.instancePath.replace(/^\//, '') || (first?.params as { additionalProperties?: string[] } | undefined)?.additionalProperties?.[0] || null;
    throw new GatewayError('invalid_request', `invalid filter${field ? ` "${field}"` : ''}: ${first?.message ?? 'not valid'}`, { param: field });
  };
}
