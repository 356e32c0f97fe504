import { createRequire } from 'node:module';
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { buildApp, type ChurnRadarApp } from '../../infra/app.js';

/** The deployed app, built as `cdk synth` builds it, with optional context overrides. */
/**
 * The app as cdk.json configures it, without bundling function code (esbuild for a dozen
 * functions costs about a minute on 2 cores, and these tests read the templates, not the code);
 * a test that needs real bundles passes `'aws:cdk:bundling-stacks': ['**']` in `context`.
 */
export function testApp(context: Record<string, unknown> = {}): ChurnRadarApp {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...cdkJsonContext(), ...context } });
  return buildApp(app);
}

let cachedContext: Record<string, unknown> | undefined;
function cdkJsonContext(): Record<string, unknown> {
  if (!cachedContext) {
    const require = createRequire(import.meta.url);
    cachedContext = (require('../../cdk.json') as { context: Record<string, unknown> }).context;
  }
  return cachedContext;
}

/** cdk-nag's AwsSolutions findings that are errors and not suppressed, as readable lines. */
export function nagErrors(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .map((finding) => `${finding.id}: ${String(finding.entry.data)}`);
}

export function expectNagClean(stack: Stack): void {
  expect(nagErrors(stack)).toEqual([]);
  const warnings = Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .map((finding) => `${finding.id}: ${String(finding.entry.data)}`);
  expect(warnings).toEqual([]);
}
