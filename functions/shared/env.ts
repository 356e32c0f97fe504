/**
 * Reads the variables a function needs, once at cold start, failing with the names of the
 * missing ones rather than later with an undefined table name.
 */
export function readEnv<const T extends Record<string, string>>(
  variables: T,
  env: NodeJS.ProcessEnv = process.env,
): { readonly [K in keyof T]: string } {
  const missing: string[] = [];
  const values: Record<string, string> = {};
  for (const [key, variable] of Object.entries(variables)) {
    const value = env[variable];
    if (value === undefined || value === '') missing.push(variable);
    else values[key] = value;
  }
  if (missing.length > 0) {
    throw new Error(`missing environment variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  return values as { readonly [K in keyof T]: string };
}

export function readNumber(variable: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new Error(`environment variable ${variable} must be a number, got "${raw}"`);
  return value;
}
