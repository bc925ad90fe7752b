// The redaction stage. Before: scans the request (the memoised scan applyPolicy may already
// have run), applies each entity type's action (mask, pseudonymize, block, allow) to a copy of
// the body that goes upstream, and records counts and findings in ctx.annotations.redaction.
// After: restores the request's placeholders in the answer and masks PII the model emits,
// inline in streams (daemon/redaction/redact-response.ts), so the provider never saw the values
// and the user still does. Every finding (request and answer) goes to the redaction log
// (AuditWriter.appendRedactions) before the answer is finished, like recordAudit's row.
import type { EntityType, RedactionAction, RedactionAnnotation, RedactionConfig, RedactionFinding } from '../../shared/schemas/redaction.js';
import type { RequestRedactEvent } from '../events/channels.js';
import { createRedactionEngine } from '../redaction/engine.js';
import { createJapaneseAnalyzer } from '../redaction/ja/analyzer.js';
import { PseudonymTable } from '../redaction/pseudonyms.js';
import { piiBlockedError, redactRequest } from '../redaction/redact-request.js';
import { createResponseRedaction } from '../redaction/redact-response.js';
import { createPiiScanner, redactionActionsFor } from '../redaction/scanner.js';
import type { PiiScanner } from '../redaction/scanner.js';
import { resolveRedactionSettings } from '../redaction/settings.js';
import type { JapaneseAnalyzer } from '../redaction/types.js';
import type { JsonObject, Outcome, RequestContext, Stage } from './context.js';
import { forgetVerbatim } from './verbatim-json.js';

/**
 * The audit area's AuditWriter as this stage uses it: one redaction-log row per finding,
 * resolving once committed. Optional so tests of other stages can hand in a writer without it.
 */
export interface RedactionLogAppender {
  appendRedactions?(traceId: string, findings: readonly RedactionFinding[]): Promise<void>;
}

export interface RedactPromptDeps {
  readonly config: { readonly redaction?: RedactionConfig | undefined };
  /** The one per-request scanner, shared with applyPolicy; built from config when absent. */
  readonly piiScanner?: PiiScanner;
  /**
   * redaction-ja's analyzer (used only when piiScanner is absent). Default: one created here,
   * lazy (its worker starts on the first Japanese text, and never keeps the process alive).
   */
  readonly japaneseAnalyzer?: JapaneseAnalyzer | null;
  readonly events?: { publishRedact(event: RequestRedactEvent): void };
  readonly auditWriter?: RedactionLogAppender;
}

/** Builds the scanner the pipeline shares between applyPolicy and redactPrompt. */
export function createPiiScannerFromConfig(deps: Pick<RedactPromptDeps, 'config' | 'japaneseAnalyzer'>): PiiScanner {
  const settings = resolveRedactionSettings(deps.config.redaction);
  const japanese = deps.japaneseAnalyzer !== undefined ? deps.japaneseAnalyzer : settings.enabled && settings.japanese ? createJapaneseAnalyzer() : null;
  return createPiiScanner({ engine: createRedactionEngine({ settings, japanese }) });
}

function emptyAnnotation(): RedactionAnnotation {
  return { counts: {}, actions: {}, tally: {}, findings: [] };
}

function record(annotation: RedactionAnnotation, finding: RedactionFinding, requestSide: boolean): void {
  const type = finding.entity_type;
  annotation.findings.push(finding);
  annotation.counts[type] = (annotation.counts[type] ?? 0) + 1;
  if (requestSide || annotation.actions[type] === undefined) annotation.actions[type] = finding.action;
  const byAction = (annotation.tally[type] ??= {});
  byAction[finding.action] = (byAction[finding.action] ?? 0) + 1;
}

function countsByAction(findings: readonly RedactionFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) {
    const key = `${finding.entity_type}:${finding.action}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function createRedactPrompt(deps: RedactPromptDeps): Stage {
  const scanner = deps.piiScanner ?? createPiiScannerFromConfig(deps);
  const { engine } = scanner;
  const { settings } = engine;

  function publish(ctx: RequestContext, direction: 'request' | 'response', findings: readonly RedactionFinding[]): void {
    if (findings.length > 0) deps.events?.publishRedact({ trace_id: ctx.traceId, direction, counts: countsByAction(findings) });
  }

  const redactPromptActive: Stage = async function redactPromptActive(ctx, next): Promise<Outcome> {
    const scan = await scanner.scan(ctx);
    const overrides = redactionActionsFor(ctx);
    const actionFor = (type: EntityType): RedactionAction => overrides[type] ?? settings.actions[type];
    const pseudonyms = new PseudonymTable();
    const annotation = emptyAnnotation();
    ctx.annotations.redaction = annotation;

    // Findings not yet in the redaction log; written (and awaited) before the answer ends:
    // before a JSON answer or error is returned, after a stream's last chunk (or its abort),
    // so a stream's first token never waits for a commit.
    let logged = 0;
    async function writeLog(): Promise<void> {
      const fresh = annotation.findings.slice(logged);
      logged = annotation.findings.length;
      if (fresh.length > 0) await deps.auditWriter?.appendRedactions?.(ctx.traceId, fresh);
    }
    function loggedAtEnd(events: AsyncIterable<JsonObject>, onEnd: () => void = () => {}): AsyncIterable<JsonObject> {
      return {
        async *[Symbol.asyncIterator]() {
          try {
            yield* events;
            onEnd();
          } finally {
            await writeLog();
          }
        },
      };
    }

    const redacted = redactRequest(ctx.request.body, scan, actionFor, pseudonyms);
    for (const finding of redacted.findings) record(annotation, finding, true);
    publish(ctx, 'request', redacted.findings);
    if (redacted.blocked.length > 0) {
      await writeLog();
      throw piiBlockedError(redacted.blocked, redacted.findings);
    }
    ctx.request.body = redacted.body;

    let outcome: Outcome;
    try {
      outcome = await next();
    } catch (error) {
      await writeLog();
      throw error;
    }
    if (outcome.status >= 400 || (!settings.scanResponses && pseudonyms.size === 0)) {
      if (outcome.kind === 'stream') return { ...outcome, events: loggedAtEnd(outcome.events) };
      await writeLog();
      return outcome;
    }

    const responseFindings: RedactionFinding[] = [];
    const response = createResponseRedaction({
      engine,
      pseudonyms,
      scan: settings.scanResponses,
      signal: ctx.signal,
      responseActionFor: (type) => settings.responseActions[type],
      onFinding: (location, finding) => {
        const entry: RedactionFinding = {
          entity_type: finding.span.type,
          detector: finding.span.detector,
          score: Math.round(finding.span.score * 1000) / 1000,
          action: finding.action,
          location,
          start: finding.start,
          end: finding.end,
          preview: finding.preview,
        };
        responseFindings.push(entry);
        record(annotation, entry, false);
      },
    });
    // The response redactor changes the answer in place: the upstream's text no longer describes it.
    if (outcome.kind === 'json') {
      forgetVerbatim(outcome.body);
      await response.redactJson(outcome.body);
      publish(ctx, 'response', responseFindings);
      await writeLog();
      return outcome;
    }
    return {
      kind: 'stream',
      status: outcome.status,
      events: loggedAtEnd(response.redactStream(forgetVerbatimChunks(outcome.events)), () => publish(ctx, 'response', responseFindings)),
    };
  };

  // With redaction off: hand on at once, without an async frame, promise and closures per request
  // (allocation on the request path).
  return function redactPrompt(ctx, next) {
    if (!settings.enabled) return next();
    return redactPromptActive(ctx, next);
  };
}

async function* forgetVerbatimChunks(events: AsyncIterable<JsonObject>): AsyncIterable<JsonObject> {
  for await (const chunk of events) {
    forgetVerbatim(chunk);
    yield chunk;
  }
}
