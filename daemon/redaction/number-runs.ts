// Where numbers can be: most detectors look for numbers (cards, SSNs, IPv4 addresses, My Number,
// corporate numbers, Japanese phones, postal codes, bank accounts), and a global regex tries a
// match at every position of the text. Instead, one pass per text finds its digit runs (a digit,
// then digits and separators), and each detector runs its pattern only around the runs that hold
// enough digits for its number: a kilobyte of prose with a dozen numbers is a dozen short
// windows, not a thousand positions per detector.
//
// Exact, for the patterns it is given (see numberMatches): a match is digits and separators
// after at most LEAD other characters, so it lies in one run; a run with fewer digits than a
// match needs holds no match; and a match cannot reach into another run. The windows yield the
// very matches a scan of the whole text yields (test/daemon/redaction/number-runs.test.ts
// compares them on random strings; the detectors find the same spans on every eval text).

interface NumberRun {
  readonly start: number;
  readonly end: number;
  readonly digits: number;
}

// A digit, then digits and separators (- space . / ( )), seven characters at least: every number
// looked for is that long, and shorter runs are not even returned by the regex. A regex, not a
// charCodeAt loop: V8's regex engine walks a kilobyte about three times faster.
const NUMBER_RUN = /\d[\d\-. /()]{6,}/g;
/** Characters a match may start before its run's first digit ("T-" of T-1234…, "+" of +81, "("). */
const LEAD = 2;
/** Characters a pattern may look at after a match (`(?![0-9A-Za-z]|-\d)`). */
const LOOK = 2;

// The detectors of one text run one after another: the runs of the last two texts scanned (the
// text, and its width-normalised view when that differs) are kept.
const memo: { subject: string; runs: NumberRun[] }[] = [];

function numberRuns(subject: string): NumberRun[] {
  for (const entry of memo) if (entry.subject === subject) return entry.runs;
  const runs: NumberRun[] = [];
  NUMBER_RUN.lastIndex = 0;
  for (let match = NUMBER_RUN.exec(subject); match !== null; match = NUMBER_RUN.exec(subject)) {
    const run = match[0];
    let digits = 0;
    for (let i = 0; i < run.length; i++) {
      const code = run.charCodeAt(i);
      if (code >= 0x30 && code <= 0x39) digits++;
    }
    runs.push({ start: match.index, end: match.index + run.length, digits });
  }
  if (memo.length === 2) memo.shift();
  memo.push({ subject, runs });
  return runs;
}

/** Drops the memoised runs, and the texts they hold (the engine calls it once a text is scanned). */
export function forgetNumberRuns(): void {
  memo.length = 0;
}

/**
 * The matches of the global `pattern` in `subject` that hold at least `minDigits` digits (and
 * maybe others: the caller still checks): the same matches as `subject.matchAll(pattern)`, but
 * the pattern runs only around digit runs with at least `minDigits` digits. `pattern` must match
 * only digits and the separators above after at most LEAD other characters, end on a digit, be
 * seven characters long at least, and look at no more than one character before and LOOK after a
 * match; `minDigits` must be at least 4, and the caller must reject every match with fewer digits.
 */
export function numberMatches(subject: string, pattern: RegExp, minDigits: number): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  for (const run of numberRuns(subject)) {
    if (run.digits < minDigits) continue;
    // Windows of neighbouring runs may share a few characters, never a match: a match's digits
    // (at least minDigits, more than the LEAD + 1 characters a window holds before its run) all
    // lie in its own run.
    const from = Math.max(0, run.start - LEAD - 1);
    const window = subject.slice(from, Math.min(subject.length, run.end + LOOK));
    // exec() on the shared pattern, not matchAll(), which clones the RegExp on every call.
    pattern.lastIndex = 0;
    for (let match = pattern.exec(window); match !== null; match = pattern.exec(window)) {
      match.index += from;
      matches.push(match);
    }
  }
  return matches;
}
