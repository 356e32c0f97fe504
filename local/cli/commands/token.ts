import { type Command, Option } from 'commander';
import { LocalIdentity } from '../../cloud/identity.js';
import { defaultDataDir, parseInteger } from '../settings.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('print a signed JWT for the local API (a Cognito-shaped ID token)')
    .addOption(
      new Option('--role <role>', 'Cognito group of the caller')
        .choices(['manager', 'analyst', 'admin'])
        .default('admin'),
    )
    .option(
      '--manager-id <id>',
      'the manager whose customers a manager token may see (required for --role manager)',
    )
    .option('--sub <id>', 'subject (user id) of the token')
    .option(
      '--expires-in <seconds>',
      'lifetime in seconds',
      parseInteger('--expires-in', 1, 7 * 24 * 3600),
      3600,
    )
    .option('--data-dir <dir>', 'local cloud state (holds the signing key)', defaultDataDir())
    .addHelpText(
      'after',
      '\nThe key lives in <data-dir>/identity.json, so a token printed here is accepted by\n' +
        '`churn local up` running from the same folder.\n\nExample:\n' +
        '  curl -H "Authorization: Bearer $(npx churn token --role manager --manager-id m-7)" \\\n' +
        '       http://127.0.0.1:4500/v1/customers',
    )
    .action(
      async (options: {
        role: 'manager' | 'analyst' | 'admin';
        managerId?: string;
        sub?: string;
        expiresIn: number;
        dataDir: string;
      }) => {
        const identity = await LocalIdentity.load({ dir: options.dataDir });
        const token = await identity.signToken({
          role: options.role,
          managerId: options.managerId,
          sub: options.sub,
          expiresInSeconds: options.expiresIn,
        });
        process.stdout.write(`${token}\n`);
      },
    );
}
