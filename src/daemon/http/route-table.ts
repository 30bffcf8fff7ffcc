import { ValidationError } from '../errors.js';

/** One compiled route: its segments, literal (lower-cased) or a named parameter. */
interface Compiled<T> {
  segments: ReadonlyArray<string | { param: string }>;
  value: T;
}

export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
}

/** A parameter as express's router decodes it; a malformed escape is the client's error (400). */
function decodeParam(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError(`malformed percent-encoding in path segment '${raw}'`);
  }
}

/**
 * A precompiled matcher for `/literal/:param/...` paths with express's router semantics (case-insensitive
 * literals, an optional trailing slash, a parameter is one non-empty segment, first added wins; HEAD uses
 * the GET routes). Perf: express's router tries every route in turn, each through its own layer, regular
 * expression and `next` call; this looks up the method and segment count, then compares a few strings.
 */
export class RouteTable<T> {
  private readonly byMethod = new Map<string, Map<number, Compiled<T>[]>>();

  add(method: string, path: string, value: T): void {
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : s.toLowerCase()));
    if (segments.some((s) => typeof s === 'string' && /[:*?(){}]/.test(s)))
      throw new Error(`route table: unsupported path syntax in ${path}`);
    const m = method.toUpperCase();
    const bySize = this.byMethod.get(m) ?? new Map<number, Compiled<T>[]>();
    this.byMethod.set(m, bySize);
    const list = bySize.get(segments.length) ?? [];
    bySize.set(segments.length, list);
    list.push({ segments, value });
  }

  /** The methods some route serves at `path` (for OPTIONS and 405-style answers). */
  methodsAt(path: string): string[] {
    const found: string[] = [];
    for (const method of this.byMethod.keys()) if (this.match(method, path)) found.push(method);
    if (found.includes('GET') && !found.includes('HEAD')) found.push('HEAD');
    return found.sort();
  }

  match(method: string, path: string): RouteMatch<T> | undefined {
    const bySize = this.byMethod.get(method === 'HEAD' && !this.byMethod.has('HEAD') ? 'GET' : method);
    if (!bySize) return undefined;
    // One trailing slash is allowed, as express's non-strict routing does; an empty segment is not.
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const parts = trimmed.split('/');
    if (parts[0] !== '') return undefined;
    parts.shift();
    const list = bySize.get(parts.length);
    if (!list) return undefined;
    let lowered: string[] | undefined;
    for (const route of list) {
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i] as string | { param: string };
        const part = parts[i] as string;
        if (typeof seg === 'string') {
          lowered ??= parts.map((p) => p.toLowerCase());
          if (lowered[i] !== seg) {
            ok = false;
            break;
          }
        } else if (part === '') {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i];
        if (typeof seg === 'object') params[seg.param] = decodeParam(parts[i] as string);
      }
      return { value: route.value, params };
    }
    return undefined;
  }
}
