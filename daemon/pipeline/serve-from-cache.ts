// The exact-match response cache stage, after redactPrompt (the key is the request as it goes
// upstream, redacted) and before selectRoute. Only non-streamed requests whose policy rule
// enables caching (`cache:` per rule, or the policy's `cache.enabled`) take part. A hit answers
// without calling any upstream, marked `x-kagami-cache: hit` and in ctx.annotations.cache; a
// miss stores a successful answer for the rule's TTL. Requests whose PII the policy lets through
// unredacted are never cached (`x-kagami-cache: bypass`). The answer is stored as the upstream
// sent it (placeholders, not restored values); response masking runs on every hit. An answer in
// which the redaction engine finds personal data the model wrote itself is not stored at all, so
// the cache table never holds a raw value.
import { getDecision } from '../policy/decision.js';
import type { PolicyRuntime } from '../policy/policy-runtime.js';
import { ResponseCache } from '../policy/response-cache.js';
import type { PiiScanner } from '../redaction/scanner.js';
import type { RedactionAnnotation } from '../../shared/schemas/redaction.js';
import type { RequestContext, Stage } from './context.js';

export interface ServeFromCacheDeps {
  readonly policyRuntime?: PolicyRuntime;
  /** The redaction engine: answers carrying PII are not stored. Without it nothing is stored. */
  readonly piiScanner?: Pick<PiiScanner, 'engine'>;
}

/** ctx.annotations.cache */
export interface CacheAnnotation {
  hit: boolean;
  /** First 16 hex digits of the key (absent when bypassed). */
  key?: string;
  bypass?: string;
  ageS?: number;
  ttlS: number;
}

export function createServeFromCache(deps: ServeFromCacheDeps): Stage {
  const runtime = deps.policyRuntime;
  const serveFromCacheActive: Stage = async function serveFromCacheActive(ctx, next) {
    const decision = getDecision(ctx);
    const ttlS = decision?.rule.action.cacheTtlS ?? null;
    if (runtime === undefined || decision === undefined || ttlS === null || ctx.request.body.stream === true) return next();
    if (carriesUnredactedPii(ctx)) {
      // PII the policy lets through as is (action allow) would end up in the key's source and
      // likely in the stored answer: such requests are never cached.
      ctx.annotations.cache = { hit: false, ttlS, bypass: 'unredacted PII' } satisfies CacheAnnotation;
      ctx.responseHeaders['x-kagami-cache'] = 'bypass';
      return next();
    }
    const key = ResponseCache.keyFor(ctx.request.op, ctx.request.body, decision.candidates, ctx.principal?.tenant ?? '');
    const cached = runtime.cache.get(key);
    if (cached !== null) {
      const ageS = Math.floor((runtime.routing.now() - cached.createdAt) / 1000);
      ctx.annotations.cache = { hit: true, key: key.slice(0, 16), ageS, ttlS } satisfies CacheAnnotation;
      ctx.responseHeaders['x-kagami-cache'] = 'hit';
      ctx.responseHeaders['x-kagami-cache-age'] = String(ageS);
      ctx.target = cached.target;
      ctx.responseHeaders['x-kagami-provider'] = cached.target.provider;
      ctx.responseHeaders['x-kagami-endpoint'] = cached.target.endpoint;
      ctx.responseHeaders['x-kagami-upstream-model'] = cached.target.upstreamModel;
      ctx.costUsd = 0;
      const usage = cached.body.usage as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | undefined;
      if (usage !== undefined) {
        ctx.usage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0, totalTokens: usage.total_tokens ?? 0 };
      }
      return { kind: 'json', status: 200, body: cached.body };
    }
    ctx.annotations.cache = { hit: false, key: key.slice(0, 16), ttlS } satisfies CacheAnnotation;
    ctx.responseHeaders['x-kagami-cache'] = 'miss';
    const outcome = await next();
    if (outcome.kind === 'json' && outcome.status === 200 && ctx.target !== undefined) {
      if (await answerIsFreeOfPii(outcome.body, deps.piiScanner)) runtime.cache.put(key, outcome.body, ctx.target, ttlS);
      else ctx.annotations.cache = { hit: false, key: key.slice(0, 16), ttlS, bypass: 'PII in the answer' } satisfies CacheAnnotation;
    }
    return outcome;
  };

  // With no cache rule or a stream: hand on at once, without an async frame, promise and closures per request
  // (allocation on the request path; serveFromCacheActive makes the same check).
  return function serveFromCache(ctx, next) {
    if (runtime === undefined || (getDecision(ctx)?.rule.action.cacheTtlS ?? null) === null || ctx.request.body.stream === true) return next();
    return serveFromCacheActive(ctx, next);
  };
}

function carriesUnredactedPii(ctx: RequestContext): boolean {
  const findings = (ctx.annotations.redaction as Pick<RedactionAnnotation, 'findings'> | undefined)?.findings ?? [];
  return findings.some((finding) => finding.action === 'allow');
}

/** The texts of a chat/completions answer (message content, tool-call arguments, legacy text). */
function answerTexts(body: unknown): string[] {
  const texts: string[] = [];
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return texts;
  for (const choice of choices as { text?: unknown; message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[]) {
    if (typeof choice.text === 'string') texts.push(choice.text);
    const message = choice.message;
    if (typeof message?.content === 'string') texts.push(message.content);
    for (const call of message?.tool_calls ?? []) if (typeof call.function?.arguments === 'string') texts.push(call.function.arguments);
  }
  return texts;
}

async function answerIsFreeOfPii(body: unknown, scanner: Pick<PiiScanner, 'engine'> | undefined): Promise<boolean> {
  if (scanner === undefined) return false;
  if (!scanner.engine.settings.enabled) return true;
  for (const text of answerTexts(body)) {
    const spans = scanner.engine.needsAsync(text) ? await scanner.engine.detect(text) : scanner.engine.detectSync(text);
    if (spans.length > 0) return false;
  }
  return true;
}
