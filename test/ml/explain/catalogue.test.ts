import { describe, expect, it } from 'vitest';
import { FACTS } from '../../../ml/explain/facts.js';
import {
  GRAPH_EVIDENCE,
  groupOfFeature,
  REASON_CODES,
  SEQUENCE_CHANNEL_REASONS,
  SEQUENCE_EVIDENCE,
  UNEXPLAINED_FEATURES,
} from '../../../ml/explain/index.js';
import { FEATURE_NAMES, SEQUENCE_CHANNELS } from '../../../ml/features/index.js';

describe('reason catalogue', () => {
  it('puts every model feature in exactly one reason or among the unexplained ones', () => {
    const listed = [...REASON_CODES.flatMap((reason) => reason.features), ...UNEXPLAINED_FEATURES];
    expect([...listed].sort()).toEqual([...FEATURE_NAMES].sort());
    expect(groupOfFeature('failed_payments_30d')).toBe('payment_failure');
    expect(groupOfFeature('share_tv_90d')).toBe('other');
    expect(groupOfFeature('a_feature_from_a_newer_model')).toBe('other');
    expect(groupOfFeature('constructor')).toBe('other');
  });

  it('gives every reason a statement, built only from its own evidence', () => {
    for (const reason of REASON_CODES) {
      const facts = FACTS.filter((fact) => fact.code === reason.code);
      expect(facts.length, reason.code).toBeGreaterThan(0);
      const allowed = new Set<string>([...reason.features, SEQUENCE_EVIDENCE, GRAPH_EVIDENCE]);
      for (const fact of facts) for (const name of fact.evidence) expect(allowed.has(name), name).toBe(true);
    }
  });

  it('routes every sequence channel to a reason', () => {
    for (const channel of SEQUENCE_CHANNELS) {
      expect(SEQUENCE_CHANNEL_REASONS[channel].length, channel).toBeGreaterThan(0);
    }
  });
});
