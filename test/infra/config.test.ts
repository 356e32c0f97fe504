import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../infra/config.js';

const fromContext = (context: Record<string, unknown>) => (key: string) => context[key];

describe('loadConfig', () => {
  it('fills defaults for an empty context', () => {
    const config = loadConfig(fromContext({}));
    expect(config.stage).toBe('dev');
    expect(config.streamShardCount).toBe(2);
    expect(config.schedules.retrain).toBe('rate(7 days)');
    expect(config.inference).toBe('lambda');
  });

  it('lets a command-line -c override win over cdk.json and coerces its string', () => {
    const config = loadConfig(
      fromContext({
        'churn-radar': { stage: 'dev', streamShardCount: 2 },
        stage: 'prod',
        streamShardCount: '4',
      }),
    );
    expect(config.stage).toBe('prod');
    expect(config.streamShardCount).toBe(4);
  });

  it('names the key and the rule of a bad value', () => {
    const read = fromContext({ 'churn-radar': { streamShardCount: 0, schedules: { retrain: 'weekly' } } });
    expect(() => loadConfig(read)).toThrow(ConfigurationError);
    expect(() => loadConfig(read)).toThrow(/churn-radar\.streamShardCount: .*>=\s?1/);
    expect(() => loadConfig(read)).toThrow(
      /churn-radar\.schedules\.retrain: expected an EventBridge schedule/,
    );
  });

  it('rejects unknown keys so a typo does not silently fall back to a default', () => {
    expect(() => loadConfig(fromContext({ 'churn-radar': { streamShardCont: 3 } }))).toThrow(
      /streamShardCont/,
    );
  });

  it('rejects an inference mode it does not know', () => {
    expect(() => loadConfig(fromContext({ inference: 'gpu' }))).toThrow(/churn-radar\.inference/);
  });
});
