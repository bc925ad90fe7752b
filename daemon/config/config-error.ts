// Config errors that point at the YAML: every problem found in a file is one ConfigIssue
// (`kagami.yaml:12:5: providers[1].base_url: must be a URL`), and loading fails with ALL of
// them at once, so a user fixes the file in one pass.
import { isMap, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';

export interface ConfigIssue {
  readonly file: string;
  /** 1-based; 0 when the problem has no place in the file (embedded defaults). */
  readonly line: number;
  readonly col: number;
  /** Dotted path with [i] indices, e.g. `providers[1].base_url`; '' for the whole file. */
  readonly path: string;
  readonly message: string;
  /** The command-line flag that set the value (`--host`), named instead of the file's place. */
  readonly flag?: string;
}

export function formatIssue(issue: ConfigIssue): string {
  if (issue.flag !== undefined) return `${issue.flag}: ${issue.message}`;
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid config:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export type PathSegment = string | number;

/** `['providers', 1, 'base_url']` → `providers[1].base_url` */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Finds where a path is in a parsed YAML document, to name line and column in issues. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document | null,
    /** The LineCounter given to parseDocument (it records line starts while parsing). */
    private readonly lines: LineCounter,
  ) {}

  /** Issue at a character offset in the file. */
  at(offset: number, path: string, message: string): ConfigIssue {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col, path, message };
  }

  /**
   * Issue at a path. `onKey` points at the key itself (unknown keys); otherwise at the value.
   * A path that does not exist in the file (a default filled in) points at its nearest ancestor.
   */
  issue(segments: readonly PathSegment[], message: string, onKey = false): ConfigIssue {
    const path = formatPath(segments);
    const offset = this.doc === null ? null : this.locate(segments, onKey);
    if (offset === null) return { file: this.file, line: 0, col: 0, path, message };
    return this.at(offset, path, message);
  }

  private locate(segments: readonly PathSegment[], onKey: boolean): number | null {
    let node: unknown = this.doc?.contents ?? null;
    let offset: number | null = (node as Node | null)?.range?.[0] ?? 0;
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
        if (!pair) return offset;
        const keyRange = (pair.key as Node | null)?.range;
        const valueRange = (pair.value as Node | null)?.range;
        offset = (last && onKey ? keyRange?.[0] : (valueRange?.[0] ?? keyRange?.[0])) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) return offset;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        return offset;
      }
    }
    return offset;
  }
}
