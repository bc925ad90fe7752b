// Turns typebox validation errors into ConfigIssues a person can act on: unknown keys named
// at the key (with a "did you mean"), missing keys, and the schema's own `errorMessage`
// wording where a field declares one (`must be a URL`).
import type { TLocalizedValidationError } from 'typebox/error';
import type { ConfigIssue, PathSegment, SourceMap } from './config-error.js';

type SchemaNode = Record<string, unknown>;

/** JSON pointer (`/providers/1/base_url`) → segments; all-digit segments are array indices. */
function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '' || pointer === '#') return [];
  return pointer
    .replace(/^#?\//, '')
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** The schema node a validator error's schemaPath points at. */
function schemaAt(root: SchemaNode, schemaPath: string): SchemaNode | null {
  let node: unknown = root;
  for (const segment of pointerSegments(schemaPath)) {
    if (typeof node !== 'object' || node === null) return null;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function suggestion(name: string, schema: SchemaNode | null): string {
  const known = Object.keys((schema?.properties as SchemaNode | undefined) ?? {});
  const close = known.filter((key) => editDistance(key, name) <= 2).sort((a, b) => editDistance(a, name) - editDistance(b, name));
  if (close[0] !== undefined) return ` (did you mean "${close[0]}"?)`;
  return known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
}

export function schemaIssues(root: SchemaNode, errors: readonly TLocalizedValidationError[], source: SourceMap): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (issue: ConfigIssue): void => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  };
  for (const error of errors) {
    const segments = pointerSegments(error.instancePath);
    const schema = schemaAt(root, error.schemaPath);
    switch (error.keyword) {
      case 'boolean':
        // `additionalProperties: false` reports each extra key twice; the keyword below names it.
        continue;
      case 'additionalProperties':
        for (const name of error.params.additionalProperties) {
          add(source.issue([...segments, name], `unknown key${suggestion(name, schema)}`, true));
        }
        continue;
      case 'required':
        for (const name of error.params.requiredProperties) add(source.issue([...segments, name], 'is required'));
        continue;
      case 'type':
        add(source.issue(segments, error.message));
        continue;
      default: {
        const custom = typeof schema?.errorMessage === 'string' ? schema.errorMessage : null;
        add(source.issue(segments, custom ?? error.message));
      }
    }
  }
  return issues;
}
