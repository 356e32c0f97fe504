import type { SimulationSummary } from './summary.js';

const percent = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)}%`;
const integer = (value: number): string => Math.round(value).toLocaleString('en-US');

/** The summary's headline figures as label/value rows, for the CLI and the benchmark. */
export function summaryRows(summary: SimulationSummary): Array<[string, string]> {
  const activity = Object.entries(summary.churn.by_activity)
    .map(([segment, group]) => `${segment} ${percent(group.monthly_rate)}`)
    .join(', ');
  const channels = Object.entries(summary.churn.by_channel)
    .map(([channel, group]) => `${channel} ${percent(group.monthly_rate)}`)
    .join(', ');
  const promo = summary.promo_expiry;
  const payments = summary.payment_failures;
  return [
    ['period', `${summary.start.slice(0, 10)} .. ${summary.end.slice(0, 10)} (${summary.days} days)`],
    ['customers', `${integer(summary.customers)} (seed ${summary.seed})`],
    ['events', `${integer(summary.events.total)} (${summary.events.per_customer.toFixed(1)} per customer)`],
    [
      'monthly churn',
      `${percent(summary.churn.monthly_rate)} (target ${percent(summary.target_monthly_churn)}); by month ${summary.churn.by_month.map((month) => percent(month.rate)).join(' ')}`,
    ],
    ['churn by activity', activity],
    ['churn by channel', channels],
    [
      'promo expiry',
      `${percent(promo.monthly_rate_near_expiry)}/month near expiry vs ${percent(promo.monthly_rate_otherwise)} otherwise (${integer(promo.expired_in_period)} expired)`,
    ],
    [
      'failed payments',
      `${percent(payments.monthly_rate_after_failure)}/month after a failure vs ${percent(payments.monthly_rate_otherwise)} otherwise`,
    ],
    [
      'friends',
      `${percent(summary.social.monthly_rate_after_friend_churn)}/month after a friend churned vs ${percent(summary.social.monthly_rate_otherwise)}`,
    ],
    [
      'oracle ROC-AUC',
      Number.isFinite(summary.oracle.auc)
        ? `${summary.oracle.auc.toFixed(3)} (${summary.oracle.horizon_days}-day window; by cut-off ${summary.oracle.by_cutoff.map((cutoff) => cutoff.auc.toFixed(3)).join(' ')})`
        : `n/a: no ${summary.oracle.horizon_days}-day label window fits in the period (simulate more days)`,
    ],
    ['drifts', summary.drifts.length === 0 ? 'none' : summary.drifts.join(', ')],
  ];
}

/** Two aligned columns. */
export function formatRows(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}
