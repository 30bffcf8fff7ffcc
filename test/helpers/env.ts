/**
 * The environment a spawned `disco` process starts from: PATH and HOME, plus NODE_V8_COVERAGE when the
 * suite runs under `scripts/coverage.mjs`, so code that runs only in child processes is counted too.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  if (process.env.NODE_V8_COVERAGE) env.NODE_V8_COVERAGE = process.env.NODE_V8_COVERAGE;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}
