// The `redaction:` block resolved per entity type: action, threshold, response action.
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD, resolveRedactionSettings } from '../../../daemon/redaction/settings.js';
import { ENTITY_TYPES } from '../../../shared/schemas/redaction.js';

describe('resolveRedactionSettings', () => {
  it('masks secrets and financial/government ids and pseudonymizes contact details by default', () => {
    const settings = resolveRedactionSettings(undefined);
    expect(settings.enabled).toBe(true);
    expect(settings.actions).toMatchObject({ EMAIL: 'pseudonymize', PHONE: 'pseudonymize', JP_NAME: 'pseudonymize', CREDIT_CARD: 'mask', API_KEY: 'mask', PRIVATE_KEY: 'mask', US_SSN: 'mask' });
    for (const type of ENTITY_TYPES) {
      expect(settings.thresholds[type]).toBe(DEFAULT_THRESHOLD);
      expect(settings.responseActions[type]).toBe('mask');
    }
  });

  it('applies default_action to types without an entry and an entry over it', () => {
    const settings = resolveRedactionSettings({ default_action: 'block', entities: { EMAIL: { action: 'allow' }, PHONE: { response: 'allow' } } });
    expect(settings.actions.CREDIT_CARD).toBe('block');
    expect(settings.actions.EMAIL).toBe('allow');
    // An allowed type is allowed in the answer too, unless said otherwise.
    expect(settings.responseActions.EMAIL).toBe('allow');
    expect(settings.actions.PHONE).toBe('block');
    expect(settings.responseActions.PHONE).toBe('allow');
  });

  it('keeps allow_values, scan_responses and japanese', () => {
    const settings = resolveRedactionSettings({ allow_values: ['ops@example.com'], scan_responses: false, japanese: false, enabled: false });
    expect([...settings.allowValues]).toEqual(['ops@example.com']);
    expect(settings.scanResponses).toBe(false);
    expect(settings.japanese).toBe(false);
    expect(settings.enabled).toBe(false);
  });
});
