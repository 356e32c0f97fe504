#!/usr/bin/env node
// Entry point of the `churn` command: registers tsx so the TypeScript sources run as they are.
import { register } from 'tsx/esm/api';

// The SDK warns that it will need Node 22 from 2027; the warning is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
await main(process.argv);
