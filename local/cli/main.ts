import { Command, CommanderError } from 'commander';
import { registerImport } from './commands/import.js';
import { registerLocalCommands } from './commands/local.js';
import { registerModel } from './commands/model.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStart } from './commands/start.js';
import { registerToken } from './commands/token.js';
import { registerTrain } from './commands/train.js';

/** Builds the `churn` program; each later feature registers its own subcommands here. */
export function buildProgram(): Command {
  const program = new Command()
    .name('churn')
    .description(
      'churn-radar: churn prediction for subscription services. Runs the whole pipeline locally on an ' +
        'embedded cloud (Kinesis, DynamoDB, S3, Step Functions, API Gateway + Cognito), or against AWS ' +
        'after `npx cdk deploy --all`.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Set before the subcommands are added, so they inherit it: errors reach main() instead of exiting.
    .exitOverride();
  registerStart(program);
  registerLocalCommands(program);
  registerSimulate(program);
  registerImport(program);
  registerSnapshot(program);
  registerTrain(program);
  registerModel(program);
  registerToken(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`churn: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.CHURN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
