import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../local/cli/main.js';

const run = promisify(execFile);
const churn = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['local/cli/churn.mjs', ...args], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('the churn command', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'churn-cli-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('lists its commands in --help', async () => {
    const { stdout } = await churn(['--help']);
    for (const command of ['start', 'local', 'simulate', 'import', 'snapshot', 'token'])
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('prints a manager token with the manager id, signed by the key in the data dir', async () => {
    const { stdout } = await churn(['token', '--role', 'manager', '--manager-id', 'm-42'], {
      CHURN_HOME: home,
    });
    const claims = decodeJwt(stdout.trim());
    expect(claims['cognito:groups']).toEqual(['manager']);
    expect(claims['custom:manager_id']).toBe('m-42');
    expect(claims.token_use).toBe('id');
    expect(claims.iss).toMatch(/^https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_/);
  });

  it('refuses a manager token without a manager id, with a message that says what to add', async () => {
    await expect(churn(['token', '--role', 'manager'], { CHURN_HOME: home })).rejects.toMatchObject({
      stderr: expect.stringMatching(/manager.*manager.?id/i),
    });
  });

  it('rejects an unknown role before doing anything', () => {
    const program = buildProgram();
    program.configureOutput({ writeErr: () => undefined });
    expect(() => program.parse(['node', 'churn', 'token', '--role', 'owner'])).toThrow(
      /Allowed choices are manager, analyst, admin/,
    );
  });
});
