import { setTimeout as sleep } from 'node:timers/promises';
import { DiscoError } from '../errors.js';
import type { Embedder } from './embedder.js';

export interface OpenAiEmbedderOptions {
  /** Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`; requests go to `<url>/embeddings`. */
  url: string;
  model: string;
  key: string | undefined;
  /** Asked of models that can shorten their vectors (`dimensions`); otherwise learnt from the first answer. */
  dimensions: number | undefined;
  batchSize: number;
  timeoutMs: number;
  /** Attempts per batch (first try included) for 429, 5xx, timeouts and network errors. */
  maxAttempts?: number;
  /** Base of the exponential backoff, doubled per attempt, with jitter; Retry-After wins when given. */
  backoffMs?: number;
}

/** The remote embedder failed for good (bad key, bad model, retries exhausted): indexing stops with this. */
export class EmbeddingsError extends DiscoError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unavailable', message, details);
  }
}

interface EmbeddingsResponse {
  data?: { embedding?: unknown; index?: number }[];
}

const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const MAX_INPUT_CHARS = 8000;

/** Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Azure-style gateways, Ollama, vLLM, LM Studio…). */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  private dim: number | undefined;
  private readonly endpoint: string;

  constructor(private readonly opts: OpenAiEmbedderOptions) {
    this.id = `openai:${opts.model}${opts.dimensions ? `:${opts.dimensions}` : ''}`;
    this.dim = opts.dimensions;
    const base = opts.url.replace(/\/+$/, '');
    this.endpoint = base.endsWith('/embeddings') ? base : `${base}/embeddings`;
  }

  async dimension(): Promise<number> {
    if (this.dim === undefined) await this.embed(['dimension probe']);
    return this.dim as number;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.opts.batchSize) {
      const batch = texts
        .slice(i, i + this.opts.batchSize)
        .map((t) => (t.length > MAX_INPUT_CHARS ? t.slice(0, MAX_INPUT_CHARS) : t));
      out.push(...(await this.embedBatch(batch, signal)));
    }
    return out;
  }

  private async embedBatch(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const maxAttempts = this.opts.maxAttempts ?? 5;
    const backoff = this.opts.backoffMs ?? 500;
    let lastError = 'no attempt made';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      signal?.throwIfAborted();
      let res: Response;
      try {
        res = await fetch(this.endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.opts.key ? { authorization: `Bearer ${this.opts.key}` } : {}),
          },
          body: JSON.stringify({
            model: this.opts.model,
            input,
            encoding_format: 'float',
            ...(this.opts.dimensions ? { dimensions: this.opts.dimensions } : {}),
          }),
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs)])
            : AbortSignal.timeout(this.opts.timeoutMs),
        });
      } catch (err) {
        signal?.throwIfAborted();
        lastError = (err as Error).name === 'TimeoutError' ? 'timed out' : `network error (${(err as Error).message})`;
        await sleep(delay(backoff, attempt, null), undefined, signal ? { signal } : undefined);
        continue;
      }
      if (res.ok) return this.parse(await res.json(), input.length);
      const body = (await res.text().catch(() => '')).slice(0, 300);
      lastError = `HTTP ${res.status}${body ? `: ${body}` : ''}`;
      if (!RETRYABLE.has(res.status)) break;
      if (attempt < maxAttempts) {
        await sleep(
          delay(backoff, attempt, res.headers.get('retry-after')),
          undefined,
          signal ? { signal } : undefined,
        );
      }
    }
    throw new EmbeddingsError(`the embeddings endpoint failed: ${lastError}`, { model: this.opts.model });
  }

  private parse(json: unknown, expected: number): Float32Array[] {
    const data = (json as EmbeddingsResponse).data;
    if (!Array.isArray(data) || data.length !== expected) {
      throw new EmbeddingsError(
        `the embeddings endpoint returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${expected} inputs`,
      );
    }
    const sorted = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return sorted.map((d) => {
      if (!Array.isArray(d.embedding) || d.embedding.length === 0) throw new EmbeddingsError('an embedding is missing');
      const v = Float32Array.from(d.embedding as number[]);
      if (this.dim === undefined) this.dim = v.length;
      if (v.length !== this.dim) {
        throw new EmbeddingsError(`the embeddings endpoint changed dimension (${v.length}, expected ${this.dim})`);
      }
      return normalize(v);
    });
  }
}

function delay(base: number, attempt: number, retryAfter: string | null): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  const exp = Math.min(base * 2 ** (attempt - 1), 20_000);
  return exp / 2 + Math.random() * (exp / 2);
}

function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] as number) * (v[i] as number);
  if (n > 0 && Math.abs(n - 1) > 1e-6) {
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  }
  return v;
}
