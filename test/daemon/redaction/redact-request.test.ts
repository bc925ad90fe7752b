// The request side of each action: mask → [TYPE], pseudonymize → <TYPE_n> (same value, same
// placeholder), block → an OpenAI-shaped 400 naming types never values, allow → unchanged but
// logged. The client's body is never modified; findings never carry a raw value.
import { describe, expect, it } from 'vitest';
import { PseudonymTable } from '../../../daemon/redaction/pseudonyms.js';
import { piiBlockedError, redactRequest } from '../../../daemon/redaction/redact-request.js';
import type { EntityType, RedactionAction } from '../../../shared/schemas/redaction.js';
import { scanBody } from './request-fixtures.js';

const RAW = ['alice@example.com', 'ALICE@Example.com', '+44 20 7946 0958', '4111 1111 1111 1111', 'bob@example.org'];

const body = () => ({
  model: 'm',
  messages: [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'Mail alice@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111.' },
    { role: 'user', content: [{ type: 'text', text: 'Again: ALICE@Example.com, and bob@example.org' }] },
  ],
});

function actions(map: Partial<Record<EntityType, RedactionAction>>, otherwise: RedactionAction = 'mask') {
  return (type: EntityType): RedactionAction => map[type] ?? otherwise;
}

describe('redactRequest', () => {
  it('masks each value as [TYPE] in a copy of the body', async () => {
    const original = body();
    const result = redactRequest(original, await scanBody(original), actions({}), new PseudonymTable());
    expect(result.body.messages[1]?.content).toBe('Mail [EMAIL] or call [PHONE]; card [CREDIT_CARD].');
    expect(result.body.messages[2]?.content).toEqual([{ type: 'text', text: 'Again: [EMAIL], and [EMAIL]' }]);
    expect(original).toEqual(body()); // the client's body is untouched
    expect(result.blocked).toEqual([]);
  });

  it('pseudonymizes: one placeholder per distinct value (emails case-insensitively), numbered per type', async () => {
    const original = body();
    const pseudonyms = new PseudonymTable();
    const result = redactRequest(original, await scanBody(original), actions({ EMAIL: 'pseudonymize', PHONE: 'pseudonymize' }), pseudonyms);
    expect(result.body.messages[1]?.content).toBe('Mail <EMAIL_1> or call <PHONE_1>; card [CREDIT_CARD].');
    expect(result.body.messages[2]?.content).toEqual([{ type: 'text', text: 'Again: <EMAIL_1>, and <EMAIL_2>' }]);
    expect(pseudonyms.originalOf('<EMAIL_1>')).toBe('alice@example.com');
    expect(pseudonyms.originalOf('<EMAIL_2>')).toBe('bob@example.org');
    expect(pseudonyms.originalOf('<PHONE_1>')).toBe('+44 20 7946 0958');
  });

  it('never mints a placeholder the user already wrote, so their text comes back as written', async () => {
    const own = { model: 'm', messages: [{ role: 'user', content: 'Template: Dear <EMAIL_1>,' }, { role: 'user', content: 'send it to alice@example.com' }] };
    const pseudonyms = new PseudonymTable();
    const result = redactRequest(own, await scanBody(own), actions({ EMAIL: 'pseudonymize' }), pseudonyms);
    expect(result.body.messages[1]?.content).toBe('send it to <EMAIL_2>');
    expect(pseudonyms.restore('Dear <EMAIL_1>, see <EMAIL_2>')).toBe('Dear <EMAIL_1>, see alice@example.com');
  });

  it('blocks: leaves the body as it was and names the blocked types', async () => {
    const original = body();
    const result = redactRequest(original, await scanBody(original), actions({ CREDIT_CARD: 'block' }), new PseudonymTable());
    expect(result.blocked).toEqual(['CREDIT_CARD']);
    expect(result.body).toBe(original);
    const error = piiBlockedError(result.blocked, result.findings);
    expect(error.toOpenAiBody()).toEqual({
      error: {
        message: expect.stringContaining('CREDIT_CARD') as unknown as string,
        type: 'invalid_request_error',
        param: 'messages[1].content',
        code: 'pii_blocked',
      },
    });
    expect(error.status).toBe(400);
    for (const raw of RAW) expect(JSON.stringify(error.toOpenAiBody())).not.toContain(raw);
    expect(error.message).not.toMatch(/4111/);
  });

  it('allows: forwards the same body object and still records the findings', async () => {
    const original = body();
    const result = redactRequest(original, await scanBody(original), actions({}, 'allow'), new PseudonymTable());
    expect(result.body).toBe(original);
    expect(result.findings.map((finding) => `${finding.entity_type}:${finding.action}`)).toEqual([
      'EMAIL:allow',
      'PHONE:allow',
      'CREDIT_CARD:allow',
      'EMAIL:allow',
      'EMAIL:allow',
    ]);
  });

  it('records type, detector, score, action, location, offsets and a masked preview, never the value', async () => {
    const original = body();
    const result = redactRequest(original, await scanBody(original), actions({ EMAIL: 'pseudonymize' }), new PseudonymTable());
    expect(result.findings[0]).toEqual({
      entity_type: 'EMAIL',
      detector: 'email',
      score: 1,
      action: 'pseudonymize',
      location: 'messages[1].content',
      start: 5,
      end: 22,
      preview: 'Mail [EMAIL] or call [PHONE]; card…',
    });
    expect(result.findings[3]?.location).toBe('messages[2].content[0].text');
    const logged = JSON.stringify(result.findings);
    for (const raw of RAW) expect(logged).not.toContain(raw);
  });

  it('keeps tool-call arguments valid JSON and scans the prompt and embeddings input', async () => {
    const withTools = {
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: '{"to":"alice@example.com","note":"caf\\u00e9"}' } }] },
      ],
    };
    const pseudonyms = new PseudonymTable();
    const result = redactRequest(withTools, await scanBody(withTools), actions({ EMAIL: 'pseudonymize' }), pseudonyms);
    const args = (result.body.messages[1] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]?.function.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ to: '<EMAIL_1>', note: 'café' });

    const embed = { model: 'm', input: ['nothing here', 'ssn 536-22-8412'] };
    const embedded = redactRequest(embed, await scanBody(embed), actions({}), new PseudonymTable());
    expect(embedded.body.input).toEqual(['nothing here', 'ssn [US_SSN]']);
    expect(embedded.findings[0]?.location).toBe('input[1]');
  });
});
