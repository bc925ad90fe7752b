// Reversible placeholders for one request: the same value always gets the same placeholder
// (`<EMAIL_1>`, `<PERSON_2>`, `<JP_ADDRESS_1>`), numbered per label in order of appearance, and
// restore() puts the originals back into the model's answer. The table lives only in memory
// for the request's lifetime; it is never logged or stored.
import type { EntityType } from '../../shared/schemas/redaction.js';

/** Placeholder labels that read better to a model than the entity type name. */
const LABELS: Partial<Record<EntityType, string>> = { JP_NAME: 'PERSON' };

/** Any placeholder this table could have made: `<LABEL_N>`. */
const PLACEHOLDER = /<([A-Z][A-Z_]*?)_(\d{1,4})>/g;
/** A placeholder's possible beginning at the end of a text ("<", "<EMA", "<EMAIL_1"). */
const PLACEHOLDER_PREFIX = /<(?:[A-Z][A-Z_]*(?:_\d{0,4})?)?$/;

export function placeholderLabel(type: EntityType): string {
  return LABELS[type] ?? type;
}

/** Values that differ only in case (emails) or formatting (phones, cards) are the same value. */
function normalise(type: EntityType, value: string): string {
  switch (type) {
    case 'EMAIL':
      return value.toLowerCase();
    case 'PHONE':
    case 'JP_PHONE':
    case 'CREDIT_CARD':
    case 'IBAN':
      return value.replace(/[^0-9A-Za-z+]/g, '').toUpperCase();
    default:
      return value;
  }
}

export class PseudonymTable {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  /** Placeholder-like text the request itself contains: never minted, so never "restored". */
  private readonly reserved = new Set<string>();

  /** Marks every `<LABEL_N>` already written in `text` (by the user) as taken. */
  reserveExisting(text: string): void {
    if (!text.includes('<')) return;
    for (const match of text.matchAll(PLACEHOLDER)) this.reserved.add(match[0]);
  }

  /** The placeholder for this value, minted on first sight. */
  placeholderFor(type: EntityType, value: string): string {
    const key = `${type}\u0000${normalise(type, value)}`;
    const existing = this.byValue.get(key);
    if (existing !== undefined) return existing;
    const label = placeholderLabel(type);
    let next = (this.counters.get(label) ?? 0) + 1;
    while (this.reserved.has(`<${label}_${next}>`)) next++;
    this.counters.set(label, next);
    const placeholder = `<${label}_${next}>`;
    this.byValue.set(key, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The original behind a placeholder, or undefined for text that only looks like one. */
  originalOf(placeholder: string): string | undefined {
    return this.byPlaceholder.get(placeholder);
  }

  /**
   * Replaces every known placeholder in `text` by its original. `jsonString`: the text is the
   * inside of a JSON string (tool-call arguments), so originals are escaped for it.
   */
  restore(text: string, jsonString = false): string {
    if (this.byPlaceholder.size === 0 || !text.includes('<')) return text;
    return text.replace(PLACEHOLDER, (placeholder) => {
      const original = this.byPlaceholder.get(placeholder);
      if (original === undefined) return placeholder;
      return jsonString ? JSON.stringify(original).slice(1, -1) : original;
    });
  }

  /** Where a placeholder may be starting at the end of `text` (-1 if nowhere): hold from there. */
  pendingPlaceholderStart(text: string): number {
    if (this.byPlaceholder.size === 0) return -1;
    const lt = text.lastIndexOf('<');
    if (lt === -1 || text.length - lt > 24) return -1;
    return PLACEHOLDER_PREFIX.test(text.slice(lt)) ? lt : -1;
  }
}
