import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../local/platform.js';
import { runSmokeChecks } from '../../local/smoke/smoke.js';

const quiet = { info: () => undefined, error: () => undefined };

describe('the local platform round trip (what npm start runs)', () => {
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({ apiLogger: quiet, featureProcessor: false });
  });
  afterAll(() => platform.stop());

  it('passes a round trip through every service', async () => {
    const checks = await runSmokeChecks(platform, () => undefined);
    expect(checks.map((check) => check.service)).toEqual(['DynamoDB', 'S3', 'Step Functions', 'API Gateway']);
    expect(checks.filter((check) => !check.ok).map((check) => `${check.service}: ${check.detail}`)).toEqual(
      [],
    );
  });
});
