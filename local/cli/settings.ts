import { resolve } from 'node:path';

/** Where the local cloud keeps its state: `CHURN_HOME`, else `.churn/` in the working directory. */
export function defaultDataDir(): string {
  return resolve(process.env.CHURN_HOME ?? '.churn');
}

/** Fixed ports of `churn local up`, so a second terminal can reach it; tests use port 0 instead. */
export function localPorts(base: number) {
  return { api: base, kinesis: base + 1, dynamodb: base + 2, s3: base + 3 };
}

export const DEFAULT_PORT_BASE = 4500;

export function parseInteger(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}
