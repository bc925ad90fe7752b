// The per-request PII scan, done once and shared: applyPolicy (policy area) reads the entity
// types found to pick a route before redactPrompt applies the actions, and neither pays for a
// second scan. The result is memoised per RequestContext; the scan also adds `pii` and
// `pii:<TYPE>` to ctx.dataClasses.
//
// Wiring: the app creates ONE scanner (createPiiScanner) and hands it to both createApplyPolicy
// and createRedactPrompt.
import { GatewayError } from '../../shared/errors.js';
import type { EntityType, RedactionAction } from '../../shared/schemas/redaction.js';
import type { RequestContext } from '../pipeline/context.js';
import { japaneseTooLargeError, type RedactionEngine } from './engine.js';
import { collectTextSlots } from './request-texts.js';
import type { TextSlot } from './request-texts.js';
import type { Span } from './types.js';

export interface ScannedSlot {
  readonly slot: TextSlot;
  /** Spans that count, sorted by start, non-overlapping. */
  readonly spans: readonly Span[];
}

export interface PiiScan {
  /** Slots with at least one finding. */
  readonly slots: readonly ScannedSlot[];
  /** Entity types found, in first-seen order. */
  readonly entityTypes: readonly EntityType[];
  /** Findings per entity type. */
  readonly counts: Readonly<Partial<Record<EntityType, number>>>;
}

export interface PiiScanner {
  readonly engine: RedactionEngine;
  /** The request's findings; scans on the first call, returns the same result afterwards. */
  scan(ctx: RequestContext): Promise<PiiScan>;
  /** The entity types found (same memoised scan): applyPolicy's `detectEntityTypes`. */
  entityTypes(ctx: RequestContext): Promise<ReadonlySet<string>>;
}

export const EMPTY_SCAN: PiiScan = Object.freeze({ slots: [], entityTypes: [], counts: {} });

/** The data class names a scan adds: `pii`, and `pii:EMAIL` for each type found. */
export function piiDataClasses(entityTypes: readonly EntityType[]): string[] {
  return entityTypes.length === 0 ? [] : ['pii', ...entityTypes.map((type) => `pii:${type}`)];
}

/**
 * Refuses a request whose Japanese-script texts together exceed the analyzer's bound, before any
 * of them is analyzed. `candidates` are the slots needing the async path (the others have none).
 */
function checkJapaneseSize(engine: RedactionEngine, candidates: readonly TextSlot[]): void {
  let total = 0;
  let largest: TextSlot | undefined;
  for (const slot of candidates) {
    if (!engine.needsJapanese(slot.text)) continue;
    total += slot.text.length;
    if (largest === undefined || slot.text.length > largest.text.length) largest = slot;
  }
  const limit = engine.settings.japaneseMaxChars;
  if (total > limit) throw japaneseTooLargeError(total, limit, 'request', largest?.location ?? null);
}

async function scanSlots(engine: RedactionEngine, slots: readonly TextSlot[], signal: AbortSignal): Promise<PiiScan> {
  const scanned: ScannedSlot[] = [];
  const asyncSlots: TextSlot[] = [];
  for (const slot of slots) {
    if (engine.needsAsync(slot.text)) {
      asyncSlots.push(slot);
      continue;
    }
    const spans = engine.detectSync(slot.text);
    if (spans.length > 0) scanned.push({ slot, spans });
  }
  if (asyncSlots.length > 0) checkJapaneseSize(engine, asyncSlots);
  const pending = asyncSlots.map((slot) =>
    engine.detect(slot.text, undefined, signal).then((spans) => {
      if (spans.length > 0) scanned.push({ slot, spans });
    }),
  );
  if (pending.length > 0) {
    try {
      await Promise.all(pending);
    } catch (error) {
      if (signal.aborted) throw new GatewayError('client_disconnected', 'the client closed the connection while its prompt was scanned for PII', { cause: error });
      throw error;
    }
    // Japanese (and huge) slots finish in any order: restore document order.
    scanned.sort((a, b) => slots.indexOf(a.slot) - slots.indexOf(b.slot));
  }
  const counts: Partial<Record<EntityType, number>> = {};
  const entityTypes: EntityType[] = [];
  for (const { spans } of scanned) {
    for (const span of spans) {
      if (counts[span.type] === undefined) entityTypes.push(span.type);
      counts[span.type] = (counts[span.type] ?? 0) + 1;
    }
  }
  return { slots: scanned, entityTypes, counts };
}

export function createPiiScanner(deps: { readonly engine: RedactionEngine }): PiiScanner {
  const { engine } = deps;
  const scans = new WeakMap<RequestContext, Promise<PiiScan>>();
  function scan(ctx: RequestContext): Promise<PiiScan> {
    let result = scans.get(ctx);
    if (result === undefined) {
      const body = ctx.request.body;
      result = (engine.settings.enabled ? scanSlots(engine, collectTextSlots(body), ctx.signal) : Promise.resolve(EMPTY_SCAN)).then((found) => {
        for (const dataClass of piiDataClasses(found.entityTypes)) ctx.dataClasses.add(dataClass);
        return found;
      });
      scans.set(ctx, result);
    }
    return result;
  }
  return {
    engine,
    scan,
    entityTypes: async (ctx) => new Set((await scan(ctx)).entityTypes),
  };
}

// Policy may choose actions per entity type for one request (the config chooses otherwise).
const actionOverrides = new WeakMap<RequestContext, Partial<Record<EntityType, RedactionAction>>>();

/** Called by applyPolicy: these actions replace the configured ones for this request. */
export function setRedactionActions(ctx: RequestContext, actions: Partial<Record<EntityType, RedactionAction>>): void {
  actionOverrides.set(ctx, { ...actionOverrides.get(ctx), ...actions });
}

export function redactionActionsFor(ctx: RequestContext): Partial<Record<EntityType, RedactionAction>> {
  return actionOverrides.get(ctx) ?? {};
}
