// Spend per tenant and per virtual key, per UTC day and month, from real usage × price. Kept
// in memory for the request path, loaded from SQLite at start (and when a period rolls over),
// and written back in batches: every delta of one event-loop tick goes in one transaction,
// never a synchronous write per request. Budgets from the policy are checked against it:
// past the soft share a warning (header + event), past the cap 429 budget_exceeded. Crossing
// either line is reported once per subject, cap and period (the daemon audits it).
import { channel } from 'node:diagnostics_channel';
import { GatewayError } from '../../shared/errors.js';
import type { BudgetStatus } from '../../shared/schemas/policy-admin.js';
import type { CompiledBudget, CompiledPolicy } from './compile-policy.js';
import type { SpendRow, SpendStore } from './spend-store.js';

/** Published once per subject, cap and period when spend passes a budget's soft share. */
export const budgetWarningChannel = channel('kagami:budget:warning');

export interface BudgetWarning {
  readonly scope: 'tenant' | 'key';
  readonly subject: string;
  readonly window: 'daily' | 'monthly';
  readonly spendUsd: number;
  readonly capUsd: number;
  readonly ratio: number;
}

/** A budget line crossed, reported once per subject, cap, period and level. */
export interface BudgetCrossing extends BudgetWarning {
  readonly level: 'soft' | 'hard';
  readonly period: string;
  /** The tenant of the request that crossed (for a key budget, the key's tenant). */
  readonly tenant: string;
}

export interface BudgetSubject {
  readonly tenant: string;
  readonly keyId: string;
}

export interface BudgetCheck {
  readonly warnings: readonly BudgetWarning[];
  /** The request's expected cost, counted against its budgets while it is in flight. */
  readonly hold: BudgetHold | null;
}

/** Spend a request in flight is expected to add; released when it ends (see release()). */
export interface BudgetHold {
  readonly usd: number;
  readonly entries: readonly { inFlight: number }[];
  released: boolean;
}

export interface BudgetLedgerOptions {
  readonly store: SpendStore | null;
  readonly now?: () => number;
  /** How a flush is scheduled (default setImmediate: group commit per tick). */
  readonly schedule?: (flush: () => void) => void;
  readonly onError?: (error: unknown) => void;
  readonly onCrossing?: (crossing: BudgetCrossing) => void;
}

interface Entry {
  spend: number;
  requests: number;
  /** Expected cost of admitted requests still in flight (so concurrent requests cannot overshoot a cap). */
  inFlight: number;
}

export class BudgetLedger {
  private readonly store: SpendStore | null;
  private readonly now: () => number;
  private readonly schedule: (flush: () => void) => void;
  private readonly onError: (error: unknown) => void;
  private readonly onCrossing: (crossing: BudgetCrossing) => void;
  private readonly entries = new Map<string, Entry>();
  private pending = new Map<string, SpendRow>();
  private flushScheduled = false;
  private loadedPeriods = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(options: BudgetLedgerOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.onError = options.onError ?? (() => {});
    this.onCrossing = options.onCrossing ?? (() => {});
  }

  /**
   * Refuses (throws 429 budget_exceeded) when a hard cap is reached by what was spent plus what
   * requests in flight are expected to spend; returns soft warnings and a hold of this request's
   * expected cost (`estimateUsd`, asked only when a budget applies) to release when it ends.
   */
  check(policy: CompiledPolicy, subject: BudgetSubject, estimateUsd: () => number = () => 0): BudgetCheck {
    if (policy.budgets.length === 0) return { warnings: [], hold: null };
    const { day, month } = this.periods();
    const warnings: BudgetWarning[] = [];
    const held: Entry[] = [];
    for (const budget of policy.budgets) {
      const id = budget.per === 'tenant' ? subject.tenant : subject.keyId;
      if (budget.matches !== null && !budget.matches(id)) continue;
      for (const [window, cap, period] of [['daily', budget.dailyUsd, day], ['monthly', budget.monthlyUsd, month]] as const) {
        if (cap === null) continue;
        const entry = this.entry(budget.per, id, period);
        const spend = entry.spend;
        const crossing = { scope: budget.per, subject: id, window, spendUsd: spend, capUsd: cap, ratio: spend / cap, period, tenant: subject.tenant };
        if (spend + entry.inFlight >= cap) {
          const inFlight = entry.inFlight > 0 ? ` + $${entry.inFlight.toFixed(4)} in flight` : '';
          if (spend >= cap) this.reportOnce({ ...crossing, level: 'hard' });
          throw new GatewayError(
            'budget_exceeded',
            `The ${window} budget of ${budget.per} "${id}" is used up ($${spend.toFixed(4)}${inFlight} of $${cap}; policy budgets[${budget.index}]).`,
            { headers: { 'retry-after': String(Math.ceil(this.untilPeriodEnd(window) / 1000)) } },
          );
        }
        if (!held.includes(entry)) held.push(entry);
        if (spend >= cap * budget.softRatio) {
          const { period: _period, tenant: _tenant, ...warning } = crossing;
          warnings.push(warning);
          if (this.reportOnce({ ...crossing, level: 'soft' }) && budgetWarningChannel.hasSubscribers) budgetWarningChannel.publish(warning);
        }
      }
    }
    if (held.length === 0) return { warnings, hold: null };
    const usd = Math.max(0, estimateUsd());
    for (const entry of held) entry.inFlight += usd;
    return { warnings, hold: { usd, entries: held, released: false } };
  }

  /** Ends a hold (the request finished, failed or was refused later); idempotent. */
  release(hold: BudgetHold | null): void {
    if (hold === null || hold.released) return;
    hold.released = true;
    for (const entry of hold.entries) entry.inFlight = Math.max(0, entry.inFlight - hold.usd);
  }

  /** Adds a request's cost to its tenant's and key's day and month (persisted next tick). */
  record(subject: BudgetSubject, costUsd: number): void {
    const { day, month } = this.periods();
    for (const [scope, id] of [['tenant', subject.tenant], ['key', subject.keyId]] as const) {
      if (id === '') continue;
      for (const period of [day, month]) {
        const entry = this.entry(scope, id, period);
        entry.spend += costUsd;
        entry.requests += 1;
        const key = `${scope}\n${id}\n${period}`;
        const delta = this.pending.get(key);
        this.pending.set(key, {
          scope,
          subject: id,
          period,
          spend_usd: (delta?.spend_usd ?? 0) + costUsd,
          requests: (delta?.requests ?? 0) + 1,
        });
      }
    }
    if (this.store !== null && !this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Writes pending deltas now (one transaction). */
  flush(): void {
    this.flushScheduled = false;
    if (this.store === null || this.pending.size === 0) return;
    const deltas = [...this.pending.values()];
    this.pending = new Map();
    try {
      this.store.addAll(deltas, this.now());
    } catch (error) {
      // Keep the deltas for the next flush rather than lose spend.
      for (const d of deltas) {
        const key = `${d.scope}\n${d.subject}\n${d.period}`;
        const newer = this.pending.get(key);
        this.pending.set(key, newer ? { ...d, spend_usd: d.spend_usd + newer.spend_usd, requests: d.requests + newer.requests } : d);
      }
      this.onError(error);
    }
  }

  /** Spend of every subject seen this month, with the caps of the given policy. */
  list(policy: CompiledPolicy | null): BudgetStatus[] {
    const { day, month } = this.periods();
    const subjects = new Map<string, { scope: 'tenant' | 'key'; subject: string }>();
    for (const key of this.entries.keys()) {
      const [scope, subject, period] = key.split('\n') as ['tenant' | 'key', string, string];
      if (period === month) subjects.set(`${scope}\n${subject}`, { scope, subject });
    }
    return [...subjects.values()].map(({ scope, subject }) => {
      const budget = policy?.budgets.find((b: CompiledBudget) => b.per === scope && (b.matches === null || b.matches(subject)));
      return {
        scope,
        subject,
        dailySpendUsd: this.entry(scope, subject, day).spend,
        monthlySpendUsd: this.entry(scope, subject, month).spend,
        requestsToday: this.entry(scope, subject, day).requests,
        dailyCapUsd: budget?.dailyUsd ?? null,
        monthlyCapUsd: budget?.monthlyUsd ?? null,
        softRatio: budget?.softRatio ?? null,
      };
    });
  }

  /** true the first time this line is crossed for this subject, cap and period. */
  private reportOnce(crossing: BudgetCrossing): boolean {
    const once = `${crossing.level}|${crossing.scope}|${crossing.subject}|${crossing.period}|${crossing.capUsd}`;
    if (this.warned.has(once)) return false;
    this.warned.add(once);
    try {
      this.onCrossing(crossing);
    } catch (error) {
      this.onError(error);
    }
    return true;
  }

  private periods(): { day: string; month: string } {
    const iso = new Date(this.now()).toISOString();
    const day = `d:${iso.slice(0, 10)}`;
    const month = `m:${iso.slice(0, 7)}`;
    if (!this.loadedPeriods.has(day) || !this.loadedPeriods.has(month)) this.load([day, month]);
    return { day, month };
  }

  private load(periods: string[]): void {
    this.flush();
    this.loadedPeriods = new Set(periods);
    // Older periods leave memory; the current ones come from the store (spend of earlier runs).
    for (const key of this.entries.keys()) if (!periods.includes(key.split('\n')[2] ?? '')) this.entries.delete(key);
    if (this.store === null) return;
    for (const row of this.store.load(periods)) {
      this.entries.set(`${row.scope}\n${row.subject}\n${row.period}`, { spend: row.spend_usd, requests: row.requests, inFlight: 0 });
    }
  }

  private entry(scope: string, subject: string, period: string): Entry {
    const key = `${scope}\n${subject}\n${period}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { spend: 0, requests: 0, inFlight: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private untilPeriodEnd(window: 'daily' | 'monthly'): number {
    const now = new Date(this.now());
    const end =
      window === 'daily'
        ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
        : Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    return end - now.getTime();
  }
}
