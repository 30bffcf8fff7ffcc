import { z } from 'zod';

export const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const bytes = intIn(1024, 1024 ** 3);
export const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()));
/** `example.com` or `*.example.com`, lower-cased. */
export const domainList = csv.pipe(
  z.array(
    z
      .string()
      .toLowerCase()
      .regex(/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/, 'each entry must be a domain or *.domain'),
  ),
);

/**
 * What a setting's computed default may use: Railway's `PORT`, and the settings resolved before it (the
 * table's order).
 */
export interface DefaultContext {
  railwayPort: number | undefined;
  resolved: Record<string, unknown>;
}
