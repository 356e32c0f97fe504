import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foldRows, selectRows, stratifiedFolds } from '../../../../ml/models/gbdt/folds.js';
import { rocAuc } from '../../../../ml/models/gbdt/metrics.js';
import { parseTelcoCsv } from '../../../../ml/models/gbdt/telco.js';
import { trainGbdt } from '../../../../ml/models/gbdt/train.js';

const TELCO = fileURLToPath(new URL('../../../../../shared/data/telco-customer-churn.csv', import.meta.url));

describe('Telco customer churn', () => {
  const data = parseTelcoCsv(readFileSync(TELCO, 'utf8'));

  it('loads 7,043 customers, 26.5% churned, blank TotalCharges as missing', () => {
    expect(data.rows).toBe(7043);
    expect(Array.from(data.labels).reduce((sum, label) => sum + label, 0)).toBe(1869);
    const total = data.features.findIndex((feature) => feature.name === 'TotalCharges');
    let missing = 0;
    for (let row = 0; row < data.rows; row++)
      if (Number.isNaN(data.values[row * data.features.length + total])) missing++;
    expect(missing).toBe(11);
    expect(data.features.find((feature) => feature.name === 'Contract')?.categories).toEqual([
      'Month-to-month',
      'One year',
      'Two year',
    ]);
  });

  it('reaches ROC-AUC >= 0.845 in 5-fold stratified cross-validation', () => {
    const folds = stratifiedFolds(data.labels, 5, 7);
    const aucs: number[] = [];
    for (let fold = 0; fold < 5; fold++) {
      const { train, test } = foldRows(folds, fold);
      const model = trainGbdt(selectRows(data, train), {
        rounds: 200,
        learningRate: 0.05,
        maxDepth: 2,
        threads: 1,
      });
      const held = selectRows(data, test);
      aucs.push(rocAuc(model.predictProbability(held.values, held.rows), held.labels));
    }
    const mean = aucs.reduce((sum, auc) => sum + auc, 0) / aucs.length;
    // Measured: 0.8486 (folds 0.858 0.849 0.857 0.848 0.831); published results are 0.84-0.846.
    expect(mean).toBeGreaterThanOrEqual(0.845);
  });

  it('says which line and column are wrong', () => {
    const header =
      'customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn';
    const row =
      'c1,Female,0,Yes,No,1,No,No,DSL,No,Yes,No,No,No,No,Month-to-month,Yes,Mailed check,29.85,abc,No';
    expect(() => parseTelcoCsv(`${header}\n${row}\n`)).toThrow(
      /line 2: TotalCharges must be a number or blank, got "abc"/,
    );
    expect(() => parseTelcoCsv('a,b\n1,2\n')).toThrow(/column customerID is missing/);
  });
});
