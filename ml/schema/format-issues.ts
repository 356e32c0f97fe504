import type { z } from 'zod';
import { describeValue } from './timestamp.js';

type Issue = z.core.$ZodIssue;

function formatPath(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bound(inclusive: boolean | undefined, below: boolean): string {
  if (below) return inclusive === false ? '>' : '>=';
  return inclusive === false ? '<' : '<=';
}

/**
 * The rule an issue broke, in words, with the offending value where zod reported it
 * (parse with `{ reportInput: true }` to get values into the messages).
 */
function describeRule(issue: Issue): string {
  const got = 'input' in issue ? `, got ${describeValue(issue.input)}` : '';
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected === 'int' ? 'integer' : issue.expected;
      if ('input' in issue && issue.input === undefined) return `required, expected ${expected}`;
      return `expected ${expected}${got}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return `must not be empty`;
      if (issue.origin === 'string') return `must be at least ${issue.minimum} characters${got}`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} items`;
      return `must be ${bound(issue.inclusive, true)} ${issue.minimum}${got}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return `must be ${bound(issue.inclusive, false)} ${issue.maximum}${got}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => String(v)).join(', ')}${got}`;
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        const value = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
        if (value === undefined) return `required, expected one of ${issue.options.map(String).join(', ')}`;
        return `expected one of ${issue.options.map(String).join(', ')}, got ${describeValue(value)}`;
      }
      return issue.message;
    }
    case 'unrecognized_keys':
      return `unexpected key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    case 'invalid_format':
    case 'custom':
      // Our schemas give these their own message, which already names the rule and the value.
      return issue.message;
    default:
      return issue.message;
  }
}

/** One line per issue: `field: rule` (e.g. `properties.minutes: expected number, got "3"`). */
export function formatIssue(issue: Issue, root = 'input'): string {
  const path =
    issue.code === 'invalid_union' && issue.discriminator !== undefined && issue.path.length === 0
      ? [issue.discriminator]
      : issue.path;
  return `${formatPath(path, root)}: ${describeRule(issue)}`;
}

/** All issues of a zod error as one message, fields in the order zod found them, joined by `; `. */
export function formatIssues(error: { readonly issues: readonly Issue[] }, root = 'input'): string {
  return error.issues.map((issue) => formatIssue(issue, root)).join('; ');
}
