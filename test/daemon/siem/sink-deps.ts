// SinkDeps for sink tests: secrets from a fixed map, files from disk, the given clock.
import { readFileSync } from 'node:fs';
import type { SecretRef } from '../../../shared/schemas/config.js';
import type { SinkDeps } from '../../../daemon/siem/sink.js';
import type { OutboxClock } from '../../../daemon/siem/outbox.js';
import { realClock } from '../../../daemon/siem/outbox.js';

export function testSinkDeps(secrets: Record<string, string> = {}, clock: OutboxClock = realClock): SinkDeps {
  return {
    readSecret(ref: SecretRef) {
      const name = 'env' in ref ? ref.env : ref.keychain;
      const value = secrets[name];
      if (value === undefined) throw new Error(`test secret ${name} not set`);
      return value;
    },
    readFile: (path) => readFileSync(path, 'utf8'),
    hostname: 'kagami-test-host',
    version: '0.1.0',
    sleep: clock.sleep,
  };
}
