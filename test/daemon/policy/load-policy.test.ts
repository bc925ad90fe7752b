import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { PolicyError } from '../../../daemon/policy/policy-error.js';

const valid = `version: 3
endpoints:
  onprem:
    provider: vllm
    model: llama-3.1-70b
    on_prem: true
  mini:
    provider: openai
    model: gpt-4o-mini
    price: { input_per_1m: 0.15, output_per_1m: 0.6 }
data_classes:
  pii-restricted:
    entities: [EMAIL, JP_NAME]
    on_prem_only: true
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: onprem
  - name: office-hours
    when: { tenant: [acme, globex], time: { between: "09:00-18:00", days: [mon, tue], tz: Asia/Tokyo } }
    weighted: [{ endpoint: mini, weight: 3 }, { endpoint: onprem, weight: 1 }]
    fallback: [onprem]
    cache: { ttl_s: 60 }
default:
  route_to: $requested
`;

function issuesOf(text: string): string[] {
  try {
    parsePolicy(text, 'team.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).message.split('\n');
  }
  throw new Error('the policy was accepted');
}

describe('parsePolicy', () => {
  it('compiles a valid policy into a frozen CompiledPolicy', () => {
    const policy = parsePolicy(valid, 'team.yaml');
    expect(policy.version).toBe(3);
    expect(policy.rules.map((r) => r.name)).toEqual(['pii-on-prem', 'office-hours']);
    expect(policy.rules[1]?.action.totalWeight).toBe(4);
    expect(policy.rules[1]?.action.cacheTtlS).toBe(60);
    expect(policy.endpoints.onprem?.onPrem).toBe(true);
    expect([...policy.entityTypes]).toEqual(['EMAIL', 'JP_NAME']);
    expect(policy.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules[0]?.action)).toBe(true);
    expect(Object.isFrozen(policy.document)).toBe(true);
  });

  it('names file, line, column and field for an unknown data class', () => {
    const text = valid.replace('data_class: pii-restricted }', 'data_class: pii }');
    expect(issuesOf(text)).toEqual([
      'team.yaml:17:25: rules[0].when.data_class: unknown data class "pii" (declared under data_classes: pii-restricted)',
    ]);
  });

  it('reports every problem at once, in file order', () => {
    const text = valid
      .replace('    model: gpt-4o-mini\n', '    model: gpt-4o-mini\n    colour: blue\n')
      .replace('route_to: onprem', 'route_to: nowhere')
      .replace('tz: Asia/Tokyo', 'tz: Mars/Olympus');
    expect(issuesOf(text)).toEqual([
      'team.yaml:10:5: endpoints.mini.colour: unknown field',
      'team.yaml:19:15: rules[0].route_to: unknown endpoint "nowhere" (declared under endpoints: onprem, mini; or $requested)',
      'team.yaml:21:91: rules[1].when.time.tz: unknown time zone "Mars/Olympus"',
    ]);
    const semantic = valid.replace('route_to: onprem', 'route_to: nowhere').replace('tz: Asia/Tokyo', 'tz: Mars/Olympus');
    expect(issuesOf(semantic)).toEqual([
      'team.yaml:18:15: rules[0].route_to: unknown endpoint "nowhere" (declared under endpoints: onprem, mini; or $requested)',
      'team.yaml:20:91: rules[1].when.time.tz: unknown time zone "Mars/Olympus"',
    ]);
  });

  it('explains schema errors in words', () => {
    const text = valid.replace('weighted: [', 'strategy: { type: slowest, targets: [mini] }\n    xweighted: [').replace('version: 3', 'version: 0');
    const issues = issuesOf(text);
    expect(issues).toContain('team.yaml:1:10: version: must be >= 1');
    expect(issues).toContain('team.yaml:21:23: rules[1].strategy.type: must be one of "cheapest", "fastest", "cost_latency"');
    expect(issues).toContain('team.yaml:22:5: rules[1].xweighted: unknown field');
    const cmp = issuesOf(valid.replace('{ data_class: pii-restricted }', '{ latency_budget_ms: "fast" }'));
    expect(cmp).toEqual(['team.yaml:17:32: rules[0].when.latency_budget_ms: must be a comparison such as "<400", "<=0.5" or ">1000"']);
  });

  it('takes redaction actions from a policy and refuses the config-only redaction fields it could not honour', () => {
    const withActions = `${valid}redaction:\n  default_action: mask\n  entities:\n    CREDIT_CARD: { action: block }\n`;
    expect(parsePolicy(withActions, 'team.yaml').document.redaction).toEqual({ default_action: 'mask', entities: { CREDIT_CARD: { action: 'block' } } });
    const lines = valid.split('\n').length;
    const configOnly = `${valid}redaction:\n  enabled: false\n  entities:\n    EMAIL: { action: allow, threshold: 0.9 }\n`;
    expect(issuesOf(configOnly)).toEqual([
      `team.yaml:${lines + 1}:3: redaction.enabled: unknown field`,
      `team.yaml:${lines + 3}:29: redaction.entities.EMAIL.threshold: unknown field`,
    ]);
  });

  it('refuses a rule that sends on-prem-only data to a cloud endpoint', () => {
    const text = valid.replace('route_to: onprem', 'route_to: mini');
    expect(issuesOf(text)).toEqual(['team.yaml:16:5: rules[0]: routes on-prem-only data to "mini", which is not an on_prem endpoint']);
  });

  it('refuses rules with no action or two actions, and duplicate names', () => {
    const text = valid.replace('    route_to: onprem\n', '').replace('name: office-hours', 'name: pii-on-prem');
    expect(issuesOf(text)).toEqual([
      'team.yaml:16:5: rules[0]: needs one of route_to, weighted, strategy or deny',
      'team.yaml:18:11: rules[1].name: duplicate rule name "pii-on-prem" (also rules[0])',
    ]);
  });

  it('refuses invalid regular expressions in header matches', () => {
    const text = valid.replace('{ data_class: pii-restricted }', '{ headers: { x-team: "/([a-z/" } }');
    expect(issuesOf(text)[0]).toMatch(/^team\.yaml:17:\d+: rules\[0\]\.when\.headers\["x-team"\]: invalid regular expression/);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(issuesOf('version: 1\nendpoints: {\n')[0]).toMatch(/^team\.yaml:\d+:\d+: /);
    expect(issuesOf('version: 1\nversion: 2\nendpoints: {}\ndefault: { deny: no }\n')[0]).toMatch(/^team\.yaml:2:1: .*[Uu]nique/);
  });
});
