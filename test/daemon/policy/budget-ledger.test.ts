// BudgetLedger on a real SQLite store: spend is written in one transaction per scheduled flush
// (never per request), a failed write keeps the deltas for the next flush, and a new ledger on
// the same database (a restarted daemon) starts from the stored spend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger } from '../../../daemon/policy/budget-ledger.js';
import { parsePolicy } from '../../../daemon/policy/load-policy.js';
import { createSpendStore, type SpendRow, type SpendStore } from '../../../daemon/policy/spend-store.js';
import { openDatabase, type SqliteDatabase } from '../../../daemon/store/db.js';

const policy = parsePolicy(
  `version: 1
endpoints: { e: { provider: p, model: m } }
default: { route_to: e }
budgets:
  - { per: tenant, daily_usd: 1 }
`,
  'budgets.yaml',
);

const NOW = Date.UTC(2026, 10, 23, 12, 0);
let dir: string;
let db: SqliteDatabase;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kagami-ledger-'));
  db = openDatabase(dir);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real store, counting the transactions and able to fail on demand. */
function countingStore(): SpendStore & { transactions: number; fail: boolean } {
  const real = createSpendStore(db);
  const store = {
    ...real,
    transactions: 0,
    fail: false,
    addAll(deltas: readonly SpendRow[], now: number) {
      if (store.fail) throw new Error('disk full');
      store.transactions += 1;
      real.addAll(deltas, now);
    },
  };
  return store;
}

describe('BudgetLedger', () => {
  it('writes the spend of many requests in one transaction per flush', () => {
    const store = countingStore();
    const scheduled: (() => void)[] = [];
    const ledger = new BudgetLedger({ store, now: () => NOW, schedule: (flush) => scheduled.push(flush) });
    for (let i = 0; i < 100; i += 1) ledger.record({ tenant: 'acme', keyId: 'k1' }, 0.001);
    expect(scheduled).toHaveLength(1);
    expect(store.transactions).toBe(0);
    scheduled[0]?.();
    expect(store.transactions).toBe(1);
    const rows = store.load(['d:2026-11-23', 'm:2026-11']);
    expect(rows).toHaveLength(4); // tenant and key, day and month
    for (const row of rows) {
      expect(row.requests).toBe(100);
      expect(row.spend_usd).toBeCloseTo(0.1, 12);
    }
  });

  it('keeps deltas of a failed write for the next flush', () => {
    const store = countingStore();
    const errors: unknown[] = [];
    const ledger = new BudgetLedger({ store, now: () => NOW, schedule: () => undefined, onError: (e) => errors.push(e) });
    ledger.record({ tenant: 'acme', keyId: '' }, 0.25);
    store.fail = true;
    ledger.flush();
    expect(errors).toHaveLength(1);
    ledger.record({ tenant: 'acme', keyId: '' }, 0.5);
    store.fail = false;
    ledger.flush();
    expect(store.load(['d:2026-11-23'])).toEqual([{ scope: 'tenant', subject: 'acme', period: 'd:2026-11-23', spend_usd: 0.75, requests: 2 }]);
  });

  it('starts from the stored spend (a restarted daemon) and refuses at the cap', () => {
    const first = new BudgetLedger({ store: createSpendStore(db), now: () => NOW, schedule: () => undefined });
    first.record({ tenant: 'acme', keyId: 'k1' }, 0.6);
    first.record({ tenant: 'acme', keyId: 'k1' }, 0.6);
    first.flush();

    const restarted = new BudgetLedger({ store: createSpendStore(db), now: () => NOW });
    expect(() => restarted.check(policy, { tenant: 'acme', keyId: 'k1' })).toThrow(/daily budget of tenant "acme" is used up \(\$1\.2000 of \$1; policy budgets\[0\]\)/);
    expect(restarted.check(policy, { tenant: 'other', keyId: 'k2' }).warnings).toEqual([]);
  });

  it('counts requests in flight, so concurrent requests cannot overshoot a cap by more than one', () => {
    const ledger = new BudgetLedger({ store: null, now: () => NOW });
    const acme = { tenant: 'acme', keyId: 'k1' };
    ledger.record(acme, 0.5);
    const first = ledger.check(policy, acme, () => 0.3);
    const second = ledger.check(policy, acme, () => 0.3); // 0.5 spent + 0.3 in flight < 1
    expect(() => ledger.check(policy, acme, () => 0.3)).toThrow(/used up \(\$0\.5000 \+ \$0\.6000 in flight of \$1; policy budgets\[0\]\)/);
    ledger.release(first.hold);
    ledger.release(first.hold); // idempotent
    ledger.record(acme, 0.1); // the first request really cost 0.1
    const third = ledger.check(policy, acme, () => 0.3); // 0.6 + 0.3
    expect(third.hold?.usd).toBe(0.3);
    ledger.release(second.hold);
    ledger.release(third.hold);
    expect(ledger.check(policy, acme).hold?.usd).toBe(0);
  });
});
