import type { Request, RequestHandler, Response } from 'express';

export interface MemoryLimiterOptions {
  limit: number;
  windowMs: number;
  key: (req: Request, res: Response) => string;
  /** Answers a request over the limit (RateLimit and Retry-After are already set). */
  onLimited: (req: Request, res: Response) => void;
}

/**
 * A fixed-window counter per key in this process's memory, with the same answers as express-rate-limit's
 * memory store (draft-7 `RateLimit` and `RateLimit-Policy` headers, `Retry-After` when over). Perf: it
 * runs on every request, synchronously, where the library's promise-based middleware cost ~10× as much.
 * A shared store (Redis) still goes through the library.
 */
export function memoryLimiter(options: MemoryLimiterOptions): RequestHandler {
  const { limit, windowMs } = options;
  const hits = new Map<string, { count: number; resetAt: number }>();
  const policy = `${limit};w=${Math.ceil(windowMs / 1000)}`;
  let sweepAt = 0;
  return (req, res, next) => {
    const now = Date.now();
    if (now >= sweepAt) {
      // Windows that ended are dropped once per window: memory follows the clients of the last minute.
      for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k);
      sweepAt = now + windowMs;
    }
    const key = options.key(req, res);
    let hit = hits.get(key);
    if (!hit || hit.resetAt <= now) {
      hit = { count: 0, resetAt: now + windowMs };
      hits.set(key, hit);
    }
    hit.count++;
    const reset = Math.max(0, Math.ceil((hit.resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(0, limit - hit.count)}, reset=${reset}`);
    if (hit.count > limit) {
      res.setHeader('Retry-After', String(reset));
      options.onLimited(req, res);
      return;
    }
    next();
  };
}
