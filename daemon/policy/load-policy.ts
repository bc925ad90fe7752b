// Policy files: YAML text → validated Policy → CompiledPolicy (frozen, matchers compiled once).
// `parsePolicy(text, fileName)` is pure (no I/O, no config): the signed-policy applier calls it
// on bundle contents, `kagami policy check` on a file, the daemon at start. Every problem is
// reported as `file:line:col: rules[2].when.data_class: message`, all of them at once.
import { readFileSync } from 'node:fs';
import { Compile } from 'typebox/compile';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { PATTERN_HINTS, Policy } from '../../shared/schemas/policy.js';
import { compilePolicy, type CompiledPolicy } from './compile-policy.js';
import { formatIssue, formatPath, PolicyError, type PathSegment, type PolicyIssue, type ReportIssue } from './policy-error.js';

const validatePolicy = Compile(Policy);

/** Parses, validates and compiles policy text. Throws PolicyError naming file, line and field. */
export function parsePolicy(text: string, fileName: string): CompiledPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: PolicyIssue[] = [];
  const at = (offset: number, path: readonly PathSegment[], message: string): void => {
    const pos = lineCounter.linePos(offset);
    issues.push({ file: fileName, line: pos.line, col: pos.col, path: formatPath(path), message });
  };
  for (const error of doc.errors) at(error.pos[0], [], error.message.split('\n')[0] ?? error.message);
  if (issues.length > 0) throw new PolicyError(issues);

  const report: ReportIssue = (path, message, where = 'value') => at(locate(doc, path, where), path, message);
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!validatePolicy.Check(value)) {
    for (const { path, message, where } of describeSchemaErrors(value)) report(path, message, where);
    reportReferenceProblems(value, { fileName, text, report });
    throw new PolicyError(sortIssues(issues));
  }
  const compiled = compilePolicy(value, { fileName, text, report });
  if (issues.length > 0) throw new PolicyError(sortIssues(issues));
  return compiled;
}

/**
 * On a document with schema errors, still reports what only compiling finds (unknown
 * endpoints and data classes, on-prem conflicts…), so one `policy check` run lists every
 * problem, not the second half after the first is fixed. Only when the document's skeleton
 * (endpoints, rules, default, data_classes) has the right shape; a compile that trips over a
 * malformed part adds nothing, since the schema errors already say what is wrong there.
 */
function reportReferenceProblems(value: unknown, options: Parameters<typeof compilePolicy>[1]): void {
  if (!hasUsableSkeleton(value)) return;
  // A rule missing its `when` (a schema error already) is compiled as matching everything.
  const rules = (value.rules as Record<string, unknown>[] | undefined)?.map((rule) => ({ ...rule, when: rule.when ?? {} }));
  try {
    compilePolicy({ ...value, ...(rules ? { rules } : {}) } as unknown as Policy, options);
  } catch {
    // a malformed part the schema errors already name
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function hasUsableSkeleton(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value) || !isRecord(value.endpoints) || !isRecord(value.default)) return false;
  if (!Object.values(value.endpoints).every(isRecord)) return false;
  if (value.data_classes !== undefined && !(isRecord(value.data_classes) && Object.values(value.data_classes).every(isRecord))) return false;
  const rules = value.rules;
  return rules === undefined || (Array.isArray(rules) && rules.every((rule) => isRecord(rule) && (rule.when === undefined || isRecord(rule.when))));
}

/** Reads and parses a policy file. */
export function loadPolicyFile(path: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PolicyError([{ file: path, line: 1, col: 1, path: '', message: `cannot read the policy file: ${(cause as Error).message}` }]);
  }
  return parsePolicy(text, path);
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((issue) => {
      const key = formatIssue(issue);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.col - b.col);
}

interface SchemaProblem {
  readonly path: PathSegment[];
  readonly message: string;
  readonly where: 'key' | 'value';
}

/** Turns typebox's raw errors into one readable message per field. */
function describeSchemaErrors(value: unknown): SchemaProblem[] {
  const byPath = new Map<string, { path: PathSegment[]; messages: string[]; where: 'key' | 'value' }>();
  const enums = new Map<string, string>();
  const add = (path: PathSegment[], message: string, where: 'key' | 'value' = 'value'): void => {
    const key = JSON.stringify(path);
    const entry = byPath.get(key) ?? { path, messages: [], where };
    if (!entry.messages.includes(message)) entry.messages.push(message);
    byPath.set(key, entry);
  };
  for (const error of validatePolicy.Errors(value)) {
    const path = pointerToPath(error.instancePath, value);
    switch (error.keyword) {
      case 'boolean': // additionalProperties: false, reported on the extra property itself
        add(path, 'unknown field', 'key');
        break;
      case 'additionalProperties':
        break; // reported on the extra property itself (keyword 'boolean')
      case 'anyOf':
        break; // covered by the per-branch errors
      case 'required': {
        const params = error.params as { requiredProperties?: string[] };
        add(path, `missing required field${(params.requiredProperties ?? []).length > 1 ? 's' : ''} ${(params.requiredProperties ?? []).join(', ')}`);
        break;
      }
      case 'pattern': {
        const raw = (error.params as { pattern?: string | RegExp }).pattern ?? '';
        const pattern = typeof raw === 'string' ? raw : raw.source;
        add(path, PATTERN_HINTS[pattern] ?? error.message);
        break;
      }
      case 'const': {
        // A branch of a union of literals (an enum): name every allowed value at once.
        const union = /^(.*)\/anyOf\/\d+$/.exec(error.schemaPath);
        const branches = union ? ((schemaAt(union[1] ?? '') as { anyOf?: { const?: unknown }[] } | undefined)?.anyOf ?? []) : [];
        if (branches.length > 1 && branches.every((b) => b.const !== undefined)) {
          enums.set(JSON.stringify(path), branches.map((b) => JSON.stringify(b.const)).join(', '));
        }
        add(path, `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`);
        break;
      }
      case 'enum': {
        const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
        add(path, `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
        break;
      }
      default:
        add(path, error.message);
    }
  }
  return [...byPath.entries()].map(([key, entry]) => {
    const allowed = enums.get(key);
    const messages = allowed === undefined ? entry.messages : [`must be one of ${allowed}`, ...entry.messages.filter((m) => !m.startsWith('must be "'))];
    return { path: entry.path, message: joinAlternatives(messages), where: entry.where };
  });
}

function joinAlternatives(messages: string[]): string {
  const consts = messages.filter((m) => m.startsWith('must be "'));
  if (consts.length > 1) {
    const rest = messages.filter((m) => !consts.includes(m));
    return [`must be one of ${consts.map((m) => m.slice('must be '.length)).join(', ')}`, ...rest].join('; ');
  }
  return messages.join(' or ');
}

/** The sub-schema of Policy at a schemaPath such as `#/properties/rules/items/properties/x`. */
function schemaAt(schemaPath: string): unknown {
  let node: unknown = Policy;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(segment);
      path.push(index);
      node = node[index];
    } else {
      path.push(segment);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

/** Offset of the node at `path` (or of its nearest existing ancestor). */
function locate(doc: Document, path: readonly PathSegment[], where: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i += 1) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
      if (pair === undefined) return offset;
      const keyRange = (pair.key as YamlNode | null)?.range;
      const valueRange = (pair.value as YamlNode | null)?.range;
      if (last && where === 'key' && keyRange) return keyRange[0];
      offset = valueRange?.[0] ?? keyRange?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as YamlNode | undefined;
      if (!item?.range) return offset;
      offset = item.range[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
