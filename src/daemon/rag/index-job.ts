import { closeSync } from 'node:fs';
import type { FileState, FileUpdate, NewChunk, RagRepo } from '../db/rag-repo.js';
import { isBinary, sha256 } from '../workspace/content.js';
import { walkWorkspace } from '../workspace/walk.js';
import { readCapped, WorkspaceDir } from '../workspace/workspace-dir.js';
import { type ChunkOptions, chunkFile } from './chunker.js';
import { looksMinified, SKIPPED_DIRS, skipByName } from './eligibility.js';
import { createEmbedder, type EmbedderSpec, embeddingText, embedsTokens, vectorBytes } from './embedder.js';
import { withoutImports } from './import-lines.js';
import { SyntaxParsers } from './syntax.js';
import { expandTokens, ftsSymbolText, type Token, tokenize } from './tokens.js';

export interface IndexLimits {
  /** Larger files are skipped. */
  maxFileBytes: number;
  /** The walk stops after this many candidate files. */
  maxFiles: number;
  chunk: ChunkOptions;
  /** Files per transaction: a crash loses at most one batch, and the daemon's own writes wait at most one. */
  batchFiles: number;
}

export interface JobProgress {
  /** `queued`: waiting for a free indexer (the service's, never the job's own). */
  phase: 'queued' | 'scanning' | 'indexing' | 'done';
  filesTotal: number;
  filesDone: number;
  /** Re-chunked and re-embedded in this run. */
  filesIndexed: number;
  filesUnchanged: number;
  filesSkipped: number;
  filesDeleted: number;
  /** Chunks written in this run. */
  chunks: number;
  /** Time spent in the indexing phase so far, for rates. */
  indexingMs: number;
  elapsedMs: number;
  /** True when the walk hit maxFiles. */
  truncated: boolean;
}

export interface IndexJobInput {
  indexId: number;
  root: string;
  embedder: EmbedderSpec;
  limits: IndexLimits;
}

const chunkHash = (s: string) => sha256(s).slice(0, 32);

/**
 * One incremental pass over a workspace: walk (honouring .gitignore and the skip rules), compare each
 * file with what the index holds (size + mtime, then content hash), re-chunk and re-embed only what
 * changed, drop what disappeared. Writes go in batches, each one transaction, so a kill -9 leaves a
 * consistent index and the next pass resumes where this one stopped.
 */
export async function runIndexJob(
  repo: RagRepo,
  input: IndexJobInput,
  onProgress: (p: JobProgress) => void,
  signal: AbortSignal,
): Promise<JobProgress> {
  const started = performance.now();
  const p: JobProgress = {
    phase: 'scanning',
    filesTotal: 0,
    filesDone: 0,
    filesIndexed: 0,
    filesUnchanged: 0,
    filesSkipped: 0,
    filesDeleted: 0,
    chunks: 0,
    indexingMs: 0,
    elapsedMs: 0,
    truncated: false,
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    p.elapsedMs = Math.round(now - started);
    onProgress({ ...p });
  };

  // Security: every file is reached from the root's descriptor without following links (see WorkspaceDir).
  const ws = WorkspaceDir.open(input.root);
  try {
    return await indexPass(repo, input, ws, p, report, started, signal);
  } finally {
    ws.close();
  }
}

async function indexPass(
  repo: RagRepo,
  input: IndexJobInput,
  ws: WorkspaceDir,
  p: JobProgress,
  report: (force?: boolean) => void,
  started: number,
  signal: AbortSignal,
): Promise<JobProgress> {
  const files: { rel: string }[] = [];
  for await (const e of walkWorkspace(ws, '.', {
    maxDepth: 64,
    gitignore: true,
    skipDirs: SKIPPED_DIRS,
    signal,
  })) {
    if (!e.dirent.isFile()) continue;
    if (skipByName(e.rel)) continue;
    if (files.length >= input.limits.maxFiles) {
      p.truncated = true;
      break;
    }
    files.push({ rel: e.rel });
  }
  p.filesTotal = files.length;
  p.phase = 'indexing';
  report(true);

  const known = repo.fileStates(input.indexId);
  const seen = new Set<string>();
  const embedder = createEmbedder(input.embedder);
  const parsers = new SyntaxParsers();
  const indexingStarted = performance.now();
  type Pending = Omit<NewChunk, 'vector'> & { tokens?: readonly Token[] };
  let batch: { file: Omit<FileUpdate, 'chunks'>; chunks: Pending[]; reuse?: Map<string, Buffer> }[] = [];
  const hashed = embedsTokens(embedder) ? embedder : undefined;
  let deletions: string[] = [];
  let batchChunks = 0;

  const flush = async () => {
    if (batch.length === 0 && deletions.length === 0) return;
    const pending = batch.flatMap((b) => b.chunks.map((c) => ({ c, reuse: b.reuse?.get(c.hash) })));
    const toEmbed = pending.filter((x) => x.reuse === undefined);
    const vectors = hashed
      ? toEmbed.map((x) => hashed.embedTokens(x.c.tokens ?? tokenize(embeddingText(x.c))))
      : await embedder.embed(
          toEmbed.map((x) => embeddingText(x.c)),
          signal,
        );
    const fresh = new Map(toEmbed.map((x, i) => [x.c, vectorBytes(vectors[i] as Float32Array)]));
    const updates: FileUpdate[] = batch.map((b) => ({
      ...b.file,
      chunks: b.chunks.map((pc) => {
        const { tokens: _tokens, ...c } = pc;
        return { ...c, vector: b.reuse?.get(c.hash) ?? (fresh.get(pc) as Buffer) };
      }),
    }));
    repo.writeBatch(input.indexId, updates, deletions);
    p.chunks += batchChunks;
    p.filesDeleted += deletions.length;
    batch = [];
    deletions = [];
    batchChunks = 0;
    p.indexingMs = Math.round(performance.now() - indexingStarted);
    report(true);
  };

  // Perf: stat and read a few files ahead, so parsing and embedding never wait on the disk (the pass
  // was ~15 % idle reading files one at a time). The window bounds memory to READ_AHEAD files.
  const pending: Array<Promise<Outcome>> = [];
  const ahead = (i: number) => {
    const g = files[i];
    if (!g) return;
    const read = examine(ws, g.rel, known.get(g.rel), input.limits.maxFileBytes);
    read.catch(() => {}); // awaited (and its error raised) in order below; never an unhandled rejection
    pending[i] = read;
  };
  for (let i = 0; i < READ_AHEAD; i++) ahead(i);
  for (let i = 0; i < files.length; i++) {
    const f = files[i] as (typeof files)[number];
    if (signal.aborted) break;
    seen.add(f.rel);
    const before = known.get(f.rel);
    const outcome = await (pending[i] as Promise<Outcome>);
    delete pending[i];
    ahead(i + READ_AHEAD);
    if (outcome.kind === 'skip') {
      p.filesSkipped++;
      if (before) deletions.push(f.rel);
    } else if (outcome.kind === 'unchanged') {
      p.filesUnchanged++;
    } else if (outcome.kind === 'touched') {
      repo.touchFile(input.indexId, f.rel, outcome.size, outcome.mtimeMs);
      p.filesUnchanged++;
    } else {
      const { language, chunks } = await chunkFile(f.rel, outcome.text, parsers, input.limits.chunk);
      const pathTokens = tokenize(f.rel);
      const ftsPath = expandTokens(pathTokens);
      batch.push({
        file: { path: f.rel, hash: outcome.hash, size: outcome.size, mtimeMs: outcome.mtimeMs, language },
        chunks: chunks.map((c) => {
          const tokens = chunkTokens(pathTokens, c, hashed !== undefined);
          return {
            path: f.rel,
            language,
            symbol: c.symbol,
            kind: c.kind,
            startLine: c.startLine,
            endLine: c.endLine,
            hash: chunkHash(c.content),
            content: c.content,
            ftsBody: expandTokens(tokens.body),
            ftsSymbol: ftsSymbolText(c.symbol, c.content),
            ftsPath,
            ...(tokens.embed ? { tokens: tokens.embed } : {}),
          };
        }),
        ...(before ? { reuse: repo.vectorsByHash(input.indexId, f.rel) } : {}),
      });
      batchChunks += chunks.length;
      p.filesIndexed++;
    }
    p.filesDone++;
    if (batch.length >= input.limits.batchFiles || batchChunks >= input.limits.batchFiles * 16) await flush();
    p.indexingMs = Math.round(performance.now() - indexingStarted);
    report();
  }
  // Deletions only after a complete walk: a cancelled or truncated pass must not drop what it did not see.
  if (!signal.aborted && !p.truncated) {
    for (const path of known.keys()) if (!seen.has(path)) deletions.push(path);
  }
  await flush();
  p.phase = 'done';
  p.indexingMs = Math.round(performance.now() - indexingStarted);
  report(true);
  return { ...p, elapsedMs: Math.round(performance.now() - started) };
}

const READ_AHEAD = 8;

type Outcome =
  | { kind: 'skip' }
  | { kind: 'unchanged' }
  | { kind: 'touched'; size: number; mtimeMs: number }
  | { kind: 'changed'; text: string; hash: string; size: number; mtimeMs: number };

async function examine(
  ws: WorkspaceDir,
  rel: string,
  before: FileState | undefined,
  maxBytes: number,
): Promise<Outcome> {
  const file = ws.openRegularStrict(rel); // vanished, replaced by a link or not a regular file: skipped
  if (!file) return { kind: 'skip' };
  let data: Buffer | undefined;
  const s = file.stat;
  const mtimeMs = Math.trunc(s.mtimeMs);
  try {
    if (s.size > maxBytes) return { kind: 'skip' };
    if (before && before.size === s.size && before.mtimeMs === mtimeMs) return { kind: 'unchanged' };
    data = await readCapped(file.fd, s.size, maxBytes).catch(() => undefined);
  } finally {
    closeSync(file.fd);
  }
  if (!data || isBinary(data)) return { kind: 'skip' };
  const hash = sha256(data);
  if (before && before.hash === hash) return { kind: 'touched', size: s.size, mtimeMs };
  const text = data.toString('utf8');
  if (looksMinified(text)) return { kind: 'skip' };
  return { kind: 'changed', text, hash, size: s.size, mtimeMs };
}

/**
 * A chunk's tokens for the FTS body (without its import lines, import-lines.ts) and, when the embedder
 * takes tokens, for the embedder (path, symbol and the whole body): one tokenization when they are the same.
 * Perf: the tokens of `embeddingText` are those of its lines' parts in turn (no token crosses a newline,
 * and ASCII text gives the same tokens under either pattern of tokenize), so the path is tokenized once
 * per file and a chunk's import lines are tokenized again only when there are some.
 */
function chunkTokens(
  pathTokens: readonly Token[],
  c: { symbol: string | null; content: string },
  forEmbedder: boolean,
): { body: Token[]; embed?: Token[] } {
  const head = c.symbol ? pathTokens.concat(tokenize(c.symbol)) : pathTokens;
  const content = withoutImports(c.content);
  if (content === c.content) {
    const tokens = head.concat(tokenize(content));
    return forEmbedder ? { body: tokens, embed: tokens } : { body: tokens };
  }
  const body = head.concat(tokenize(content));
  return forEmbedder ? { body, embed: head.concat(tokenize(c.content)) } : { body };
}
