import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTrain, trainingRequest } from '../../../local/cli/commands/train.js';

describe('churn train', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'churn-train-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  function program() {
    const out: string[] = [];
    const err: string[] = [];
    const command = new Command().exitOverride();
    registerTrain(command, {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
    });
    for (const sub of command.commands) sub.exitOverride();
    return { command, out, err };
  }

  it('turns its flags into the state machine request, leaving the rest to the plan step', () => {
    expect(
      trainingRequest({
        asOf: ['2025-03-01', '2025-03-16'],
        holdout: '2025-04-20',
        horizon: 30,
        graceDays: 0,
        snapshots: 3,
        labels: 'sim',
        folds: 2,
        components: ['gbdt', 'graph'],
        seed: 4,
        shuffleLabels: true,
        dataDir,
      }),
    ).toEqual({
      trigger: 'cli',
      horizonDays: 30,
      graceDays: 0,
      trainSnapshots: 3,
      trainAsOf: ['2025-03-01', '2025-03-16'],
      holdoutAsOf: '2025-04-20',
      labelsDataset: 'sim',
      params: { folds: 2, seed: 4, components: ['gbdt', 'graph'], shuffleLabels: true },
    });
  });

  it('refuses an unknown component and a component list without gradient boosting, naming the flag', async () => {
    const { command } = program();
    await expect(command.parseAsync(['node', 'churn', 'train', '--components', 'gbdt,lstm'])).rejects.toThrow(
      /--components: unknown "lstm"/,
    );
    await expect(
      program().command.parseAsync(['node', 'churn', 'train', '--components', 'graph']),
    ).rejects.toThrow(/--components must include gbdt/);
    await expect(
      program().command.parseAsync(['node', 'churn', 'train', '--holdout', '2025-02-30']),
    ).rejects.toThrow(/calendar day/);
  });

  it('says how to start a local cloud when none is running', async () => {
    const { command } = program();
    await expect(command.parseAsync(['node', 'churn', 'train', '--data-dir', dataDir])).rejects.toThrow(
      /no running local cloud recorded in .*churn local up/,
    );
  });
});
