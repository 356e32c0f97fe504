import type { DriverSummary } from '../explain/drivers.js';
import type { AblationRow } from './ablation.js';
import { downsample } from './inputs.js';
import type { LeadTimeSummary } from './lead-time.js';
import type { DecisionThreshold, EvaluationReport } from './report.js';

/**
 * The model's evaluation as one self-contained HTML page: opened from S3 or disk with no network,
 * so every chart is inline SVG drawn here and nothing (script, font, stylesheet, image) is fetched.
 */
export interface ModelReportInput {
  readonly title: string;
  readonly modelVersion: string;
  /** As it should be shown, e.g. an ISO 8601 timestamp. */
  readonly createdAt: string;
  readonly evaluation: EvaluationReport;
  readonly ablation?: readonly AblationRow[];
  readonly featureImportance?: readonly { readonly name: string; readonly importance: number }[];
  readonly drivers?: DriverSummary;
  /** `leadTimes(...)` at the decision threshold; the per-customer map is not needed. */
  readonly leadTime?: Pick<LeadTimeSummary<unknown>, 'median' | 'quantiles' | 'detectedShare'>;
  /** Facts about the data, shown as a table (e.g. `{ 'training customers': 41200, 'test period': '2025-03' }`). */
  readonly dataSummary?: Readonly<Record<string, string | number>>;
  readonly notes?: readonly string[];
  /** Shown after money amounts (business costs and profit). */
  readonly currency?: string;
}

/** Most points drawn per curve, which keeps the page small whatever the evaluation holds. */
export const REPORT_CURVE_POINTS = 200;
/** Bars in the feature importance chart. */
export const REPORT_TOP_FEATURES = 20;

// ---------------------------------------------------------------------------------------------
// Text

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For text and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

const NOT_AVAILABLE = 'n/a';

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NOT_AVAILABLE
    : value.toFixed(digits);
}

function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NOT_AVAILABLE
    : `${(value * 100).toFixed(digits)}%`;
}

function grouped(integerText: string): string {
  return integerText.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function count(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NOT_AVAILABLE
    : grouped(String(Math.round(value)));
}

function money(value: number | null | undefined, currency: string | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  const [whole = '0', cents] = Math.abs(value)
    .toFixed(Math.abs(value) >= 1000 ? 0 : 2)
    .split('.');
  const amount = `${value < 0 ? '-' : ''}${grouped(whole)}${cents === undefined ? '' : `.${cents}`}`;
  return currency === undefined ? amount : `${amount} ${currency}`;
}

function days(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NOT_AVAILABLE
    : `${fixed(value, Number.isInteger(value) ? 0 : 1)} ${value === 1 ? 'day' : 'days'}`;
}

function plainValue(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return NOT_AVAILABLE;
  return Number.isInteger(value) ? count(value) : String(Number(value.toPrecision(4)));
}

// ---------------------------------------------------------------------------------------------
// SVG charts: drawn in a fixed viewBox and scaled by CSS, coordinates rounded to 0.1.

const WIDTH = 440;
const HEIGHT = 320;
const MARGIN = { left: 56, right: 16, top: 14, bottom: 46 } as const;
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;

function coordinate(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** Plot coordinates of a point in the unit square. */
function xOf(value: number): number {
  return MARGIN.left + clampUnit(value) * PLOT_WIDTH;
}

function yOf(value: number): number {
  return MARGIN.top + (1 - clampUnit(value)) * PLOT_HEIGHT;
}

type Point = readonly [number, number];

function polyline(points: readonly Point[], className: string): string {
  const finitePoints = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finitePoints.length === 0) return '';
  const path = finitePoints.map(([x, y]) => `${coordinate(xOf(x))},${coordinate(yOf(y))}`).join(' ');
  return `<polyline class="${className}" points="${path}" />`;
}

interface Marker {
  readonly point: Point;
  readonly label: string;
  readonly className: string;
}

function marker({ point: [x, y], label, className }: Marker): string {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return '';
  const cx = xOf(x);
  const cy = yOf(y);
  // Labels go right of the point unless that runs off the plot.
  const right = cx < MARGIN.left + PLOT_WIDTH * 0.7;
  const circle = `<circle class="${className}" cx="${coordinate(cx)}" cy="${coordinate(cy)}" r="4" />`;
  if (label === '') return circle;
  return (
    circle +
    `<text class="marker-label" x="${coordinate(right ? cx + 7 : cx - 7)}" y="${coordinate(cy - 6)}"` +
    `${right ? '' : ' text-anchor="end"'}>${escapeHtml(label)}</text>`
  );
}

function unitAxes(xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  for (let tick = 0; tick <= 5; tick++) {
    const value = tick / 5;
    const x = coordinate(xOf(value));
    const y = coordinate(yOf(value));
    parts.push(
      `<line class="grid" x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + PLOT_HEIGHT}" />`,
      `<line class="grid" x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + PLOT_WIDTH}" y2="${y}" />`,
      `<text class="tick" x="${x}" y="${MARGIN.top + PLOT_HEIGHT + 16}" text-anchor="middle">${value * 100}%</text>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${coordinate(yOf(value) + 4)}" text-anchor="end">${value * 100}%</text>`,
    );
  }
  parts.push(
    `<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" />`,
    `<text class="axis-label" x="${MARGIN.left + PLOT_WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text class="axis-label" transform="translate(14 ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  return parts.join('');
}

function svg(label: string, width: number, height: number, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">${body}</svg>`;
}

interface UnitChart {
  readonly label: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Drawn first, under the curves. */
  readonly underlay?: string;
  readonly references: readonly (readonly Point[])[];
  readonly curve: readonly Point[];
  readonly markers: readonly Marker[];
}

function unitChart(chart: UnitChart): string {
  return svg(
    chart.label,
    WIDTH,
    HEIGHT,
    unitAxes(chart.xLabel, chart.yLabel) +
      (chart.underlay ?? '') +
      chart.references.map((points) => polyline(points, 'reference')).join('') +
      polyline(chart.curve, 'curve') +
      chart.markers.map(marker).join(''),
  );
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly valueText: string;
}

const BAR_HEIGHT = 22;
const MAX_LABEL_CHARACTERS = 36;

function truncated(label: string): string {
  return label.length <= MAX_LABEL_CHARACTERS ? label : `${label.slice(0, MAX_LABEL_CHARACTERS - 1)}…`;
}

/** Horizontal bars, longest value first as given; negative and non-finite values draw as empty bars. */
function barChart(label: string, bars: readonly Bar[]): string {
  const labelWidth = Math.min(280, 16 + 7.2 * Math.max(4, ...bars.map((bar) => truncated(bar.label).length)));
  const valueWidth = 64;
  const plotWidth = WIDTH + 120 - labelWidth - valueWidth;
  const height = bars.length * BAR_HEIGHT + 12;
  const largest = Math.max(0, ...bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0)));
  const rows = bars.map((bar, index) => {
    const y = 6 + index * BAR_HEIGHT;
    const share = largest > 0 && Number.isFinite(bar.value) ? Math.max(0, bar.value) / largest : 0;
    const width = share * plotWidth;
    // A truncated name stays readable as a tooltip.
    const fullName = truncated(bar.label) === bar.label ? '' : `<title>${escapeHtml(bar.label)}</title>`;
    return (
      `<text class="bar-label" x="${coordinate(labelWidth - 8)}" y="${y + 15}" text-anchor="end">${escapeHtml(truncated(bar.label))}${fullName}</text>` +
      `<rect class="bar" x="${coordinate(labelWidth)}" y="${y + 3}" width="${coordinate(width)}" height="${BAR_HEIGHT - 6}" />` +
      `<text class="bar-value" x="${coordinate(labelWidth + width + 6)}" y="${y + 15}">${escapeHtml(bar.valueText)}</text>`
    );
  });
  return svg(label, WIDTH + 120, height, rows.join(''));
}

// ---------------------------------------------------------------------------------------------
// Sections

function figure(chart: string, caption: string, legend: readonly [string, string][] = []): string {
  const items = legend
    .map(([className, text]) => `<span class="key"><i class="${className}"></i>${escapeHtml(text)}</span>`)
    .join('');
  return `<figure>${chart}<figcaption>${items === '' ? '' : `<span class="keys">${items}</span>`}${escapeHtml(caption)}</figcaption></figure>`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows
    .map(
      (cells) =>
        `<tr>${cells.map((cell, index) => (index === 0 ? `<th>${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`,
    )
    .join('');
  return `<table${className === '' ? '' : ` class="${className}"`}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(id: string, title: string, intro: string, body: string): string {
  const lead = intro === '' ? '' : `<p class="intro">${escapeHtml(intro)}</p>`;
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${lead}${body}</section>`;
}

function missing(text: string): string {
  return `<p class="missing">${escapeHtml(text)}</p>`;
}

function card(value: string, name: string, meaning: string): string {
  return `<div class="card"><div class="value">${escapeHtml(value)}</div><div class="name">${escapeHtml(name)}</div><p>${escapeHtml(meaning)}</p></div>`;
}

/** The lift row closest to the top 10%, the share retention teams usually contact. */
function headlineLift(evaluation: EvaluationReport): EvaluationReport['lift'][number] | undefined {
  return [...evaluation.lift].sort(
    (left, right) =>
      Math.abs(left.fraction - 0.1) - Math.abs(right.fraction - 0.1) || left.fraction - right.fraction,
  )[0];
}

function headline(input: ModelReportInput): string {
  const { evaluation, leadTime, currency } = input;
  const { decision } = evaluation;
  const cards = [
    card(
      fixed(evaluation.rocAuc, 3),
      'ROC-AUC',
      `A churner scores above a customer who stays ${percent(evaluation.rocAuc, 0)} of the time (0.5 is guessing, 1 is perfect).`,
    ),
  ];
  const lift = headlineLift(evaluation);
  if (lift !== undefined) {
    cards.push(
      card(
        `${fixed(lift.lift, 1)}×`,
        `Lift in the riskiest ${percent(lift.fraction, 0)}`,
        `They churn ${fixed(lift.lift, 1)} times as often as average (${percent(lift.precision)} vs ${percent(evaluation.churnRate)}) and include ${percent(lift.captured, 0)} of all churners.`,
      ),
    );
  }
  cards.push(
    card(
      `${percent(decision.precision, 0)} / ${percent(decision.recall, 0)}`,
      'Precision / recall when acting',
      `Contacting the ${count(decision.contacted)} customers scoring ${fixed(decision.threshold, 3)} or more: ${percent(decision.precision, 0)} of them would churn, and they include ${percent(decision.recall, 0)} of the churners.`,
    ),
  );
  if (decision.expectedProfit !== null) {
    cards.push(
      card(
        money(decision.expectedProfit, currency),
        'Expected profit',
        'What that campaign would earn on the test customers, after contact costs, with the configured save rate.',
      ),
    );
  }
  cards.push(
    card(
      percent(evaluation.expectedCalibrationError),
      'Calibration error',
      `Predicted churn probabilities are off by ${fixed(evaluation.expectedCalibrationError * 100, 1)} percentage points on average (0 is perfect).`,
    ),
  );
  if (leadTime !== undefined) {
    cards.push(
      card(
        days(leadTime.median),
        'Median warning time',
        leadTime.median === null
          ? 'No churner was flagged before churning.'
          : `Half of the churners flagged in time were flagged at least this long before they left; ${percent(leadTime.detectedShare, 0)} of churners were flagged in time.`,
      ),
    );
  }
  return section('headline', 'At a glance', '', `<div class="cards">${cards.join('')}</div>`);
}

function decisionPoint(evaluation: EvaluationReport): { fpr: number; tpr: number } {
  const { tp, fp, tn, fn } = evaluation.confusion;
  return { fpr: fp + tn === 0 ? 0 : fp / (fp + tn), tpr: tp + fn === 0 ? 0 : tp / (tp + fn) };
}

function methodText(decision: DecisionThreshold): string {
  return decision.method === 'profit'
    ? 'chosen to maximise the expected profit of a retention campaign'
    : 'chosen to maximise F1 (no business costs were configured)';
}

function decisionSection(input: ModelReportInput): string {
  const { evaluation, currency } = input;
  const { decision, confusion, costs } = evaluation;
  const rows: string[][] = [
    ['Threshold', `${fixed(decision.threshold, 4)} (${methodText(decision)})`],
    [
      'Customers contacted',
      `${count(decision.contacted)} of ${count(evaluation.customers)} (${percent(evaluation.customers === 0 ? Number.NaN : decision.contacted / evaluation.customers)})`,
    ],
    ['Precision', `${percent(decision.precision)} of contacted customers would churn`],
    ['Recall', `${percent(decision.recall)} of churners are contacted`],
    ['F1', fixed(decision.f1, 3)],
  ];
  if (costs !== null) {
    const valuePerSave = costs.saveRate * costs.savedCustomerValue;
    rows.push(
      ['Cost of one contact', money(costs.contactCost, currency)],
      ['Value of keeping a churner', money(costs.savedCustomerValue, currency)],
      ['Save rate', `${percent(costs.saveRate)} of contacted churners stay`],
      [
        'Break-even churn chance',
        valuePerSave > 0
          ? `${percent(costs.contactCost / valuePerSave)}: a contact pays off above it`
          : 'never (a saved churner is worth nothing)',
      ],
      ['Expected profit', money(decision.expectedProfit, currency)],
    );
  }
  const matrix =
    '<table class="confusion"><thead><tr><th></th><th>Contacted</th><th>Not contacted</th></tr></thead><tbody>' +
    `<tr><th>Churned</th><td class="good">${count(confusion.tp)}<small>caught</small></td><td class="bad">${count(confusion.fn)}<small>missed</small></td></tr>` +
    `<tr><th>Stayed</th><td class="bad">${count(confusion.fp)}<small>contacted needlessly</small></td><td class="good">${count(confusion.tn)}<small>left alone</small></td></tr>` +
    '</tbody></table>';
  return section(
    'decision',
    'Who to contact',
    'Customers scoring at or above the decision threshold are flagged for a retention contact. The confusion matrix shows what that does on the test customers.',
    `<div class="pair">${table(['Decision', ''], rows, 'facts')}<div>${matrix}<p class="small">Accuracy ${percent(confusion.accuracy)}.</p></div></div>`,
  );
}

function rankingSection(evaluation: EvaluationReport): string {
  const roc = downsample(evaluation.rocCurve, REPORT_CURVE_POINTS);
  const pr = downsample(evaluation.prCurve, REPORT_CURVE_POINTS);
  const { fpr, tpr } = decisionPoint(evaluation);
  const decisionLabel = `threshold ${fixed(evaluation.decision.threshold, 3)}`;
  const rocChart = unitChart({
    label: `ROC curve, AUC ${fixed(evaluation.rocAuc, 3)}`,
    xLabel: 'Stayers flagged (false positive rate)',
    yLabel: 'Churners caught (recall)',
    references: [
      [
        [0, 0],
        [1, 1],
      ],
    ],
    curve: roc.map((point) => [point.falsePositiveRate, point.truePositiveRate] as const),
    markers: [{ point: [fpr, tpr], label: decisionLabel, className: 'decision' }],
  });
  const prChart = unitChart({
    label: `Precision-recall curve, average precision ${fixed(evaluation.prAuc, 3)}`,
    xLabel: 'Churners caught (recall)',
    yLabel: 'Flagged who churn (precision)',
    references: [
      [
        [0, evaluation.churnRate],
        [1, evaluation.churnRate],
      ],
    ],
    curve: pr.map((point) => [point.recall, point.precision] as const),
    markers: [
      {
        point: [evaluation.decision.recall, evaluation.decision.precision],
        label: decisionLabel,
        className: 'decision',
      },
    ],
  });
  const total = evaluation.customers;
  const gains = roc.map(
    (point) =>
      [
        total === 0
          ? 0
          : (point.truePositiveRate * evaluation.churners +
              point.falsePositiveRate * (total - evaluation.churners)) /
            total,
        point.truePositiveRate,
      ] as const,
  );
  const gainsChart = unitChart({
    label: 'Cumulative gains: share of churners found by contacting the riskiest customers first',
    xLabel: 'Customers contacted, riskiest first',
    yLabel: 'Churners found',
    references: [
      [
        [0, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [evaluation.churnRate, 1],
        [1, 1],
      ],
    ],
    curve: gains,
    markers: evaluation.lift.map((row) => ({
      point: [row.fraction, row.captured] as const,
      label: `top ${percent(row.fraction, 0)}`,
      className: 'lift',
    })),
  });
  const liftTable = table(
    ['Contact the riskiest', 'Churn among them', 'Lift', 'Churners found'],
    evaluation.lift.map((row) => [
      percent(row.fraction, 0),
      percent(row.precision),
      `${fixed(row.lift, 2)}×`,
      percent(row.captured),
    ]),
  );
  return section(
    'ranking',
    'How well the model ranks customers',
    'A good model puts churners at the top of the list, so a campaign reaches many of them with few contacts.',
    `<div class="charts">${figure(
      rocChart,
      `ROC-AUC ${fixed(evaluation.rocAuc, 3)}. The further the curve bows to the top left, the better; the diagonal is random guessing.`,
      [
        ['curve', 'model'],
        ['reference', 'random'],
        ['decision', 'decision threshold'],
      ],
    )}${figure(
      prChart,
      `Average precision ${fixed(evaluation.prAuc, 3)} against ${fixed(evaluation.churnRate, 3)} for a random list (the churn rate).`,
      [
        ['curve', 'model'],
        ['reference', 'random'],
        ['decision', 'decision threshold'],
      ],
    )}${figure(
      gainsChart,
      'Contacting customers riskiest first: how many churners each share of contacts finds. The upper line is a perfect model, the diagonal a random list.',
      [
        ['curve', 'model'],
        ['reference', 'random / perfect'],
        ['lift', 'top shares'],
      ],
    )}</div>${liftTable}`,
  );
}

function calibrationSection(evaluation: EvaluationReport): string {
  const bins = evaluation.calibration;
  const largest = Math.max(0, ...bins.map((bin) => bin.count));
  const barsHeight = PLOT_HEIGHT * 0.22;
  const bars = bins
    .map((bin) => {
      const height = largest === 0 ? 0 : (bin.count / largest) * barsHeight;
      const x = xOf(bin.binStart);
      const width = Math.max(0, xOf(bin.binEnd) - x - 1);
      const top = MARGIN.top + PLOT_HEIGHT - height;
      const label =
        bins.length <= 12
          ? `<text class="count" x="${coordinate(x + width / 2)}" y="${coordinate(top - 3)}" text-anchor="middle">${count(bin.count)}</text>`
          : '';
      return `<rect class="count-bar" x="${coordinate(x)}" y="${coordinate(top)}" width="${coordinate(width)}" height="${coordinate(height)}" />${label}`;
    })
    .join('');
  const chart = unitChart({
    label: `Reliability diagram, expected calibration error ${percent(evaluation.expectedCalibrationError)}`,
    xLabel: 'Predicted churn probability',
    yLabel: 'Observed churn rate',
    underlay: bars,
    references: [
      [
        [0, 0],
        [1, 1],
      ],
    ],
    curve: bins.map((bin) => [bin.meanPredicted, bin.observedRate] as const),
    markers: bins.map((bin) => ({
      point: [bin.meanPredicted, bin.observedRate] as const,
      label: '',
      className: 'bin',
    })),
  });
  return section(
    'calibration',
    'Are the probabilities right?',
    'Customers are grouped by predicted probability; in each group the share who actually churned should match the prediction (the diagonal). Grey bars count the customers in each group.',
    `<div class="charts">${figure(
      chart,
      `Expected calibration error ${percent(evaluation.expectedCalibrationError)}; Brier score ${fixed(evaluation.brierScore, 4)}; log loss ${fixed(evaluation.logLoss, 4)}.`,
      [
        ['curve', 'model'],
        ['reference', 'perfect calibration'],
        ['count-key', 'customers per group'],
      ],
    )}</div>`,
  );
}

function leadTimeSection(leadTime: NonNullable<ModelReportInput['leadTime']>): string {
  const { p25, p50, p75 } = leadTime.quantiles;
  const rows = [
    ['Churners flagged before churning', percent(leadTime.detectedShare)],
    ['25th percentile', days(p25)],
    ['Median', days(p50)],
    ['75th percentile', days(p75)],
  ];
  let chart = '';
  if (p25 !== null && p50 !== null && p75 !== null) {
    const height = 90;
    const left = 40;
    const width = WIDTH - left - 24;
    const top = Math.max(p25, p50, p75);
    const axisEnd = Math.max(7, Math.ceil((top * 1.2) / 7) * 7);
    const x = (value: number) => left + (Math.min(axisEnd, Math.max(0, value)) / axisEnd) * width;
    const ticks: string[] = [];
    const step = Math.max(7, Math.ceil(axisEnd / 6 / 7) * 7);
    for (let tick = 0; tick <= axisEnd; tick += step) {
      ticks.push(
        `<line class="grid" x1="${coordinate(x(tick))}" y1="14" x2="${coordinate(x(tick))}" y2="56" />`,
        `<text class="tick" x="${coordinate(x(tick))}" y="70" text-anchor="middle">${tick}</text>`,
      );
    }
    chart = figure(
      svg(
        `Lead time: median ${days(p50)}, middle half between ${days(p25)} and ${days(p75)}`,
        WIDTH,
        height,
        ticks.join('') +
          `<rect class="box" x="${coordinate(x(p25))}" y="22" width="${coordinate(Math.max(1, x(p75) - x(p25)))}" height="26" />` +
          `<line class="median" x1="${coordinate(x(p50))}" y1="18" x2="${coordinate(x(p50))}" y2="52" />` +
          `<text class="axis-label" x="${left + width / 2}" y="86" text-anchor="middle">Days of warning before churn</text>`,
      ),
      'The box holds the middle half of the churners flagged in time; the line is the median.',
    );
  }
  return section(
    'lead-time',
    'How much warning retention gets',
    'Lead time is the number of days between the first high-risk score and the churn date: the time there is to act.',
    `<div class="pair">${table(['Lead time', ''], rows, 'facts')}${chart}</div>`,
  );
}

function partsSentence(drivers: DriverSummary): string {
  const names = { sequence: 'the activity-sequence model', graph: 'the friends graph model' } as const;
  const clauses = drivers.parts.map(
    (part, index) =>
      `${names[part.part]}${index === 0 ? ' moves a score' : ''} by ${fixed(part.meanAbsContribution, 3)}`,
  );
  return clauses.length === 0 ? '' : ` On average, ${clauses.join(', ')}.`;
}

/** Importance as given, else the drivers' mean |contribution| per feature: the top ones, biggest first. */
function topFeatures(input: ModelReportInput): { bars: Bar[]; caption: string } | undefined {
  const given = input.featureImportance ?? [];
  const fromDrivers = given.length === 0 && input.drivers !== undefined && input.drivers.customers > 0;
  const all = fromDrivers
    ? (input.drivers?.features ?? []).map((feature) => ({
        name: feature.name,
        importance: feature.meanAbsContribution,
      }))
    : given;
  const top = all
    .filter((feature) => Number.isFinite(feature.importance))
    .map((feature, order) => ({ feature, order }))
    .sort((left, right) => right.feature.importance - left.feature.importance || left.order - right.order)
    .slice(0, REPORT_TOP_FEATURES)
    .map(({ feature }) => feature);
  if (top.length === 0) return undefined;
  return {
    bars: top.map((feature) => ({
      label: feature.name,
      value: feature.importance,
      valueText: Number(feature.importance.toPrecision(3)).toString(),
    })),
    caption: fromDrivers
      ? `The ${top.length} features that move scores most (mean absolute contribution, log-odds) of ${count(all.length)}.`
      : `The ${top.length} most important of ${count(all.length)} features.`,
  };
}

function driversSection(input: ModelReportInput): string {
  const parts: string[] = [];
  const drivers = input.drivers;
  if (drivers !== undefined && drivers.customers > 0) {
    const groups = drivers.groups.filter((group) => group.meanAbsContribution > 0);
    if (groups.length > 0) {
      parts.push(
        figure(
          barChart(
            'Churn drivers by reason',
            groups.map((group) => ({
              label: group.title,
              value: group.meanAbsContribution,
              valueText: fixed(group.meanAbsContribution, 3),
            })),
          ),
          `Mean absolute contribution to the churn score (log-odds) per reason, over ${count(drivers.customers)} customers.${partsSentence(drivers)}`,
        ),
      );
    }
  }
  const features = topFeatures(input);
  if (features !== undefined)
    parts.push(figure(barChart('Feature importance', features.bars), features.caption));
  if (parts.length === 0) {
    return section(
      'drivers',
      'What drives churn',
      '',
      missing('No feature importance or driver summary in this run.'),
    );
  }
  return section(
    'drivers',
    'What drives churn',
    'Which customer facts move the churn score most, across all customers scored. Importance is not cause: it says where the model looks.',
    `<div class="charts">${parts.join('')}</div>`,
  );
}

function ablationSection(ablation: readonly AblationRow[] | undefined): string {
  if (ablation === undefined || ablation.length === 0) {
    return section('ablation', 'Model components', '', missing('No ablation in this run.'));
  }
  return section(
    'ablation',
    'Model components',
    'Each part of the hybrid model on its own next to the stacked model, on the same customers.',
    table(
      ['Component', 'ROC-AUC', 'PR-AUC', 'Log loss', 'AUC vs best'],
      ablation.map((row) => [
        row.name,
        fixed(row.auc, 3),
        fixed(row.prAuc, 3),
        fixed(row.logLoss, 4),
        row.deltaAucVsBest === 0 ? 'best' : fixed(row.deltaAucVsBest, 3),
      ]),
    ),
  );
}

function metricsSection(evaluation: EvaluationReport): string {
  const rows = [
    ['Customers', count(evaluation.customers), 'Customers in the test set.'],
    ['Churners', count(evaluation.churners), 'Of them, customers who churned in the label window.'],
    ['Churn rate', percent(evaluation.churnRate, 2), 'Churners over customers: what a random list achieves.'],
    ['ROC-AUC', fixed(evaluation.rocAuc, 4), 'Chance a churner scores above a stayer; 0.5 is random.'],
    [
      'PR-AUC (average precision)',
      fixed(evaluation.prAuc, 4),
      'Precision averaged over recall; the churn rate is random.',
    ],
    ['Log loss', fixed(evaluation.logLoss, 4), 'Penalty for confident wrong probabilities; lower is better.'],
    [
      'Brier score',
      fixed(evaluation.brierScore, 4),
      'Mean squared error of the probabilities; lower is better.',
    ],
    [
      'Expected calibration error',
      percent(evaluation.expectedCalibrationError, 2),
      'Average gap between predicted and observed churn, weighted by customers.',
    ],
  ];
  return section('metrics', 'All metrics', '', table(['Metric', 'Value', 'What it means'], rows));
}

function dataSection(dataSummary: ModelReportInput['dataSummary']): string {
  const entries = Object.entries(dataSummary ?? {});
  if (entries.length === 0) return '';
  return section(
    'data',
    'Data',
    '',
    table(
      ['', ''],
      entries.map(([name, value]) => [name, plainValue(value)]),
      'facts',
    ),
  );
}

function notesSection(notes: readonly string[] | undefined): string {
  if (notes === undefined || notes.length === 0) return '';
  return section(
    'notes',
    'Notes',
    '',
    `<ul>${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`,
  );
}

const STYLE = `
:root{color-scheme:light;--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--model:#2563eb;--good:#15803d;--bad:#b91c1c;--accent:#d97706}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#f9fafb}
main{max-width:1100px;margin:0 auto;padding:24px}
header h1{margin:0 0 4px;font-size:26px}
.meta,.intro,.small,figcaption,.missing{color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{font-size:19px;margin:0 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px}
.card .value{font-size:28px;font-weight:600;color:var(--model)}
.card .name{font-weight:600}
.card p{margin:4px 0 0;font-size:13px;color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;align-items:start}
figure{margin:0}
figcaption{font-size:13px}
.keys{display:block;margin-bottom:2px}
.key{margin-right:12px;white-space:nowrap}
.key i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px;background:var(--model)}
.key i.reference{background:var(--muted)}
.key i.decision{background:var(--bad);height:8px;border-radius:4px;width:8px}
.key i.lift{background:var(--accent);height:8px;border-radius:4px;width:8px}
.key i.count-key{background:#d1d5db;height:10px}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
table.facts td{text-align:left}
table.confusion td{text-align:center;min-width:120px;font-size:18px}
table.confusion small{display:block;font-size:12px;color:var(--muted)}
td.good{background:#f0fdf4}td.bad{background:#fef2f2}
svg.chart{width:100%;height:auto;font-size:11px}
svg .grid{stroke:var(--line)}
svg .frame{fill:none;stroke:#9ca3af}
svg .tick,svg .count,svg .bar-value{fill:var(--muted)}
svg .axis-label,svg .bar-label{fill:var(--ink)}
svg .curve{fill:none;stroke:var(--model);stroke-width:2}
svg .reference{fill:none;stroke:#9ca3af;stroke-dasharray:4 4}
svg .decision{fill:var(--bad)}
svg .lift{fill:var(--accent)}
svg .bin{fill:var(--model)}
svg .marker-label{fill:var(--ink)}
svg .count-bar{fill:#e5e7eb}
svg .bar{fill:var(--model)}
svg .box{fill:#dbeafe;stroke:var(--model)}
svg .median{stroke:var(--ink);stroke-width:2}
@media print{body{background:#fff}section{break-inside:avoid;border:none}}
`;

/**
 * The model's evaluation report as a complete HTML document: headline numbers with what they
 * mean first, then who to contact, ranking curves, calibration, lead time, drivers, components
 * and every metric. Every string from the input is escaped; the page loads nothing.
 */
export function renderModelReport(input: ModelReportInput): string {
  const { evaluation } = input;
  const title = `${input.title} (${input.modelVersion})`;
  const body = [
    `<header><h1>${escapeHtml(input.title)}</h1><p class="meta">Model ${escapeHtml(input.modelVersion)} · created ${escapeHtml(input.createdAt)} · evaluated on ${count(evaluation.customers)} customers, ${count(evaluation.churners)} of whom churned (${percent(evaluation.churnRate)})</p></header>`,
    headline(input),
    decisionSection(input),
    rankingSection(evaluation),
    calibrationSection(evaluation),
    input.leadTime === undefined ? '' : leadTimeSection(input.leadTime),
    driversSection(input),
    ablationSection(input.ablation),
    metricsSection(evaluation),
    dataSection(input.dataSummary),
    notesSection(input.notes),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
