// The `redaction:` config block resolved into what the engine asks per entity type: which
// action, which score threshold, what to do with it in a response. Defaults live here: secrets
// and government/financial identifiers are masked, contact details and names pseudonymized
// (the user still sees them in the answer; the provider never does).
import { DEFAULT_JAPANESE_MAX_CHARS, ENTITY_TYPES } from '../../shared/schemas/redaction.js';
import type { EntityType, RedactionAction, RedactionConfig, ResponseAction } from '../../shared/schemas/redaction.js';

const DEFAULT_ACTIONS: Readonly<Record<EntityType, RedactionAction>> = {
  EMAIL: 'pseudonymize',
  PHONE: 'pseudonymize',
  CREDIT_CARD: 'mask',
  US_SSN: 'mask',
  IBAN: 'mask',
  IP_ADDRESS: 'pseudonymize',
  URL_CREDENTIALS: 'mask',
  AWS_ACCESS_KEY: 'mask',
  API_KEY: 'mask',
  GITHUB_TOKEN: 'mask',
  JWT: 'mask',
  PRIVATE_KEY: 'mask',
  SECRET: 'mask',
  JP_NAME: 'pseudonymize',
  JP_ADDRESS: 'pseudonymize',
  JP_MY_NUMBER: 'mask',
  JP_CORPORATE_NUMBER: 'pseudonymize',
  JP_PHONE: 'pseudonymize',
  JP_POSTAL_CODE: 'pseudonymize',
  JP_BANK_ACCOUNT: 'mask',
  JP_PASSPORT: 'mask',
  JP_DRIVERS_LICENSE: 'mask',
};

/** Score a span needs when neither the entity nor the block sets a threshold. */
export const DEFAULT_THRESHOLD = 0.5;

export interface RedactionSettings {
  readonly enabled: boolean;
  readonly actions: Readonly<Record<EntityType, RedactionAction>>;
  readonly thresholds: Readonly<Record<EntityType, number>>;
  readonly responseActions: Readonly<Record<EntityType, ResponseAction>>;
  readonly scanResponses: boolean;
  /** Exact values never redacted. */
  readonly allowValues: ReadonlySet<string>;
  readonly japanese: boolean;
  /** Most characters of Japanese-script text one request may carry (the analyzer's bound). */
  readonly japaneseMaxChars: number;
  /** Load the Japanese dictionary when the engine is built (daemon start), in the background. */
  readonly japanesePreload: boolean;
}

export function resolveRedactionSettings(config: Partial<RedactionConfig> | undefined): RedactionSettings {
  const actions = {} as Record<EntityType, RedactionAction>;
  const thresholds = {} as Record<EntityType, number>;
  const responseActions = {} as Record<EntityType, ResponseAction>;
  for (const type of ENTITY_TYPES) {
    const rule = config?.entities?.[type];
    const action = rule?.action ?? config?.default_action ?? DEFAULT_ACTIONS[type];
    actions[type] = action;
    thresholds[type] = rule?.threshold ?? config?.default_threshold ?? DEFAULT_THRESHOLD;
    responseActions[type] = rule?.response ?? (action === 'allow' ? 'allow' : 'mask');
  }
  return Object.freeze({
    enabled: config?.enabled ?? true,
    actions: Object.freeze(actions),
    thresholds: Object.freeze(thresholds),
    responseActions: Object.freeze(responseActions),
    scanResponses: config?.scan_responses ?? true,
    allowValues: new Set(config?.allow_values ?? []),
    japanese: config?.japanese ?? true,
    japaneseMaxChars: config?.japanese_max_chars ?? DEFAULT_JAPANESE_MAX_CHARS,
    japanesePreload: config?.japanese_preload ?? false,
  });
}
