// Builds what the redaction units take from a request: the memoised scan of a body, as the
// redactPrompt stage gets it from the shared scanner (real engine, default settings).
import type { RequestContext } from '../../../daemon/pipeline/context.js';
import { createRedactionEngine } from '../../../daemon/redaction/engine.js';
import { createPiiScanner, type PiiScan } from '../../../daemon/redaction/scanner.js';
import { resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import type { RedactionConfig } from '../../../shared/schemas/redaction.js';

/** The fields of a RequestContext the scanner reads; the rest is never touched by it. */
export function contextFor(body: Record<string, unknown>): RequestContext {
  return { request: { op: 'chat', body: { model: 'm', ...body } }, dataClasses: new Set<string>() } as unknown as RequestContext;
}

export function scanBody(body: Record<string, unknown>, config?: Partial<RedactionConfig>): Promise<PiiScan> {
  const scanner = createPiiScanner({ engine: createRedactionEngine({ settings: resolveRedactionSettings(config), japanese: null }) });
  return scanner.scan(contextFor(body));
}
