import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

const CENSOR = '[redacted]';

/** Keys whose values never reach a log line, whatever the caller passes: at the top and one level down. */
const SECRET_KEYS = new Set(['token', 'adminToken', 'password', 'secret', 'authorization', 'key', 'apiKey']);

/** And these, below the top-level key that names them. */
const SECRET_PATHS: ReadonlyMap<string, readonly (readonly string[])[]> = new Map([
  [
    'req',
    [
      ['headers', 'authorization'],
      ['headers', 'cookie'],
    ],
  ],
  ['headers', [['cookie']]],
  ['config', [['adminToken'], ['embeddingsKey'], ['webcontainerApiKey']]],
]);

/** Every redacted path, in pino's notation (`*` is any top-level key). */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...[...SECRET_KEYS].map((k) => `*.${k}`),
  ...[...SECRET_PATHS].flatMap(([top, tails]) => tails.map((t) => [top, ...t].join('.'))),
];

/**
 * A copy of an object with the same prototype and own properties (an Error keeps its message and stack),
 * every one of them configurable so that a read-only or getter-only secret can still be replaced.
 */
function copyOf(value: object): Record<string, unknown> {
  if (Array.isArray(value)) return value.slice() as unknown as Record<string, unknown>;
  const props = Object.getOwnPropertyDescriptors(value);
  for (const d of Object.values(props) as PropertyDescriptor[]) d.configurable = true;
  return Object.defineProperties(Object.create(Object.getPrototypeOf(value)), props);
}

const setField = (target: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** `value` with `path` (below it) censored if present: a copy along the path, or `value` itself. */
function censorPath(value: Record<string, unknown>, path: readonly string[], at = 0): Record<string, unknown> {
  const key = path[at] as string;
  if (!Object.hasOwn(value, key)) return value;
  const inner = value[key];
  const next = at === path.length - 1 ? CENSOR : isObject(inner) ? censorPath(inner, path, at + 1) : inner;
  if (next === inner) return value;
  return setField(copyOf(value), key, next);
}

/** The paths censored below a top-level key: every secret key one level down, and the key's own paths. */
const ONE_LEVEL_DOWN = [...SECRET_KEYS].map((k) => [k]);
const PATHS_UNDER = new Map([...SECRET_PATHS].map(([top, tails]) => [top, [...ONE_LEVEL_DOWN, ...tails]]));

/** One top-level value with the secrets below it censored. */
function censorValue(top: string, value: Record<string, unknown>): Record<string, unknown> {
  let out = value;
  for (const path of PATHS_UNDER.get(top) ?? ONE_LEVEL_DOWN) out = censorPath(out, path);
  return out;
}

/**
 * A log line's fields with every secret of REDACT_PATHS replaced by `[redacted]`. The caller's objects are
 * never changed: what holds a secret is copied (only along its path), everything else is the caller's own.
 * Perf: pino's own `redact` (@pinojs/redact) runs every value of every line through its `*.key` paths and
 * parses each path from its string again on every call: ~15 KB of garbage and ~4 % of the CPU of a small
 * read under load, for a request line that holds no object at all. This looks only at a line's objects.
 */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    let next: unknown = value;
    if (SECRET_KEYS.has(key)) next = CENSOR;
    else if (isObject(value)) next = censorValue(key, value);
    if (next !== value) {
      if (out === fields) out = { ...fields };
      setField(out, key, next);
    }
  }
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'disco' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redact },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
  // A child's bindings are written on each of its lines without passing `formatters.log` (and pino drops a
  // bindings formatter for children): they are redacted once, when the child is made. Children are made from
  // this logger's prototype chain, so theirs are too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redact(bindings), options);
  } as Logger['child'];
  return logger;
}
