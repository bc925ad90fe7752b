// How a policy problem is reported: `file:line:col: rules[2].when.data_class: message`.

export interface PolicyIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Field path, e.g. rules[2].when.data_class ("" for the document). */
  readonly path: string;
  readonly message: string;
}

/** A policy that cannot be applied; `message` lists every issue, one per line. */
export class PolicyError extends Error {
  readonly issues: readonly PolicyIssue[];
  constructor(issues: readonly PolicyIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

export function formatIssue(issue: PolicyIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

export type PathSegment = string | number;

/** Formats ['rules', 2, 'when', 'data_class'] as rules[2].when.data_class. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Reports a problem found while compiling, located by its path in the document. */
export type ReportIssue = (path: readonly PathSegment[], message: string, at?: 'key' | 'value') => void;
