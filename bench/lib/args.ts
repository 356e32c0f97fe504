/** A `--name` flag that must be a positive whole number; the error names the flag. */
export function wholeNumber(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive whole number, got ${text}`);
  return value;
}
