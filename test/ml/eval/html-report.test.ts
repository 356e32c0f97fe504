import { describe, expect, it } from 'vitest';
import { type ModelReportInput, renderModelReport } from '../../../ml/eval/html-report.js';
import { type EvaluationReport, evaluate, leadTimes } from '../../../ml/eval/index.js';
import { summariseDrivers } from '../../../ml/explain/index.js';
import { Random } from '../../../ml/simulate/random.js';

function syntheticEvaluation(seed: number, count: number): EvaluationReport {
  const random = new Random(seed);
  const probabilities = new Float64Array(count);
  const labels = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const probability = random.next() ** 2;
    probabilities[index] = probability;
    labels[index] = random.chance(probability) ? 1 : 0;
  }
  return evaluate(probabilities, labels, {
    costs: { contactCost: 5, savedCustomerValue: 120, saveRate: 0.3 },
    curvePoints: 1000,
  });
}

const EVALUATION = syntheticEvaluation(11, 4000);

const LEAD_TIME = leadTimes(
  [
    { userId: 'c-1', day: '2025-03-01', score: 0.9 },
    { userId: 'c-2', day: '2025-03-10', score: 0.8 },
    { userId: 'c-3', day: '2025-03-20', score: 0.95 },
  ],
  new Map([
    ['c-1', '2025-03-31'],
    ['c-2', '2025-03-31'],
    ['c-3', '2025-03-31'],
    ['c-4', '2025-03-31'],
  ]),
  0.7,
);

function fullInput(): ModelReportInput {
  return {
    title: 'Churn model',
    modelVersion: '2025-04-01T02-00-00Z',
    createdAt: '2025-04-01T02:14:09Z',
    evaluation: EVALUATION,
    ablation: [
      { name: 'stack', auc: 0.86, prAuc: 0.61, logLoss: 0.31, deltaAucVsBest: 0 },
      { name: 'gbdt', auc: 0.84, prAuc: 0.58, logLoss: 0.33, deltaAucVsBest: -0.02 },
      { name: 'lstm', auc: 0.79, prAuc: 0.49, logLoss: 0.37, deltaAucVsBest: -0.07 },
    ],
    featureImportance: Array.from({ length: 30 }, (_, index) => ({
      name: `feature_${index}`,
      importance: 30 - index,
    })),
    drivers: summariseDrivers([
      { featureContributions: { failed_payments_30d: 1.2, trend_sessions_14d: 0.4, share_tv_90d: -0.1 } },
      {
        featureContributions: { failed_payments_30d: -0.3, is_cancelled: 2 },
        graph: { contribution: 0.3, neighbours: 2, neighboursGone: 1, riskyNeighbours: 0 },
      },
    ]),
    leadTime: LEAD_TIME,
    dataSummary: { 'training customers': 41200, 'test period': '2025-03', 'label window (days)': 30 },
    notes: ['Trained on the simulator with seed 7.'],
    currency: 'EUR',
  };
}

function svgCount(html: string): number {
  return html.match(/<svg\b/g)?.length ?? 0;
}

const VOID_ELEMENTS = new Set(['meta', 'link', 'br', 'hr', 'img', 'input']);

/** Every opened element is closed in order (void and self-closed elements aside). */
function unbalancedTags(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const withoutStyle = html.replace(/<style>[\s\S]*?<\/style>/, '');
  for (const match of withoutStyle.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, rawName = '', selfClosing] = match;
    const name = rawName.toLowerCase();
    if (selfClosing === '/' || VOID_ELEMENTS.has(name)) continue;
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else stack.push(name);
  }
  return [...problems, ...stack.map((name) => `<${name}> never closed`)];
}

describe('renderModelReport', () => {
  it('writes a complete, balanced HTML document with headline numbers first', () => {
    const html = renderModelReport(fullInput());
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>Churn model (2025-04-01T02-00-00Z)</title>');
    expect(unbalancedTags(html)).toEqual([]);
    const headline = html.indexOf('id="headline"');
    expect(headline).toBeGreaterThan(0);
    expect(headline).toBeLessThan(html.indexOf('id="ranking"'));
    expect(headline).toBeLessThan(html.indexOf('id="metrics"'));
  });

  it('shows the metrics formatted', () => {
    const html = renderModelReport(fullInput());
    expect(html).toContain(EVALUATION.rocAuc.toFixed(3));
    expect(html).toContain(EVALUATION.prAuc.toFixed(3));
    expect(html).toContain(EVALUATION.decision.threshold.toFixed(4));
    expect(html).toContain(`${EVALUATION.confusion.tp.toLocaleString('en-US')}<small>caught</small>`);
    const expectedProfit = EVALUATION.decision.expectedProfit ?? Number.NaN;
    expect(expectedProfit).toBeGreaterThan(1000);
    expect(html).toContain(`${Math.round(expectedProfit).toLocaleString('en-US')} EUR`);
    // Break-even: 5 / (0.3 x 120).
    expect(html).toContain('13.9%: a contact pays off above it');
    expect(html).toContain('top 5%');
    expect(html).toContain('top 10%');
    // Lead time: 30, 21 and 11 days for three of four churners.
    expect(html).toContain('21 days');
    expect(html).toContain('75.0%');
    expect(html).toContain('Payment problems');
    expect(html).toContain('41,200');
    expect(html).toContain('Trained on the simulator with seed 7.');
  });

  it('draws one SVG per chart', () => {
    // ROC, precision-recall, gains, calibration, lead time, drivers, feature importance.
    expect(svgCount(renderModelReport(fullInput()))).toBe(7);
    const { evaluation, title, modelVersion, createdAt } = fullInput();
    // Without the optional parts: the four evaluation charts.
    expect(svgCount(renderModelReport({ evaluation, title, modelVersion, createdAt }))).toBe(4);
  });

  it('keeps at most 20 features and at most 200 points per curve', () => {
    const html = renderModelReport(fullInput());
    expect(EVALUATION.rocCurve.length).toBeGreaterThan(200);
    expect(html.match(/<rect class="bar"/g)?.length ?? 0).toBe(
      20 + (fullInput().drivers?.groups.filter((group) => group.meanAbsContribution > 0).length ?? 0),
    );
    expect(html).toContain('feature_19');
    expect(html).not.toContain('feature_20<');
    for (const match of html.matchAll(/<polyline class="curve" points="([^"]*)"/g)) {
      expect((match[1] ?? '').split(' ').length).toBeLessThanOrEqual(200);
    }
    expect(html.length).toBeLessThan(120_000);
  });

  it('escapes every string it is given', () => {
    const attack = '<script>alert("x")</script>';
    const html = renderModelReport({
      ...fullInput(),
      title: attack,
      modelVersion: `v1 ${attack}`,
      createdAt: '"><img onerror=x>',
      ablation: [{ name: attack, auc: 0.8, prAuc: 0.5, logLoss: 0.4, deltaAucVsBest: 0 }],
      featureImportance: [{ name: attack, importance: 1 }],
      dataSummary: { [attack]: attack },
      notes: [attack],
      currency: attack,
    });
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(unbalancedTags(html)).toEqual([]);
  });

  it('loads nothing from outside the page', () => {
    const html = renderModelReport(fullInput());
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\bsrc=|<link\b|<script\b|@import|url\(/i);
  });

  it('says so when ablation, importance and drivers are missing or empty', () => {
    const html = renderModelReport({
      ...fullInput(),
      ablation: [],
      featureImportance: [],
      drivers: summariseDrivers([]),
      leadTime: undefined,
      dataSummary: {},
      notes: [],
    });
    expect(html).toContain('No ablation in this run.');
    expect(html).toContain('No feature importance or driver summary in this run.');
    expect(html).not.toContain('id="lead-time"');
    expect(html).not.toContain('id="notes"');
    expect(svgCount(html)).toBe(4);
    expect(unbalancedTags(html)).toEqual([]);
  });

  it('falls back to the drivers for the feature chart and names the sequence and graph parts', () => {
    const html = renderModelReport({ ...fullInput(), featureImportance: undefined });
    expect(svgCount(html)).toBe(7);
    expect(html).toContain(
      'The 4 features that move scores most (mean absolute contribution, log-odds) of 4.',
    );
    expect(html).toContain('On average, the friends graph model moves a score by 0.300.');
  });

  it('writes n/a for numbers that are not there', () => {
    const html = renderModelReport({
      ...fullInput(),
      evaluation: { ...EVALUATION, rocAuc: Number.NaN },
      leadTime: { median: null, quantiles: { p25: null, p50: null, p75: null }, detectedShare: 0 },
    });
    expect(html).toContain('<div class="value">n/a</div><div class="name">ROC-AUC</div>');
    expect(html).toContain('No churner was flagged before churning.');
    expect(html).not.toContain('NaN');
    // No lead time chart without quantiles.
    expect(svgCount(html)).toBe(6);
  });
});
