import { closeSync } from 'node:fs';
import type { FileState, FileUpdate, RagRepo } from '../db/rag-repo.js';
import { isBinary, sha256 } from '../workspace/content.js';
import { walkWorkspace } from '../workspace/walk.js';
import { readCapped, WorkspaceDir } from '../workspace/workspace-dir.js';
import type { ChunkOptions } from './chunker.js';
import { looksMinified, SKIPPED_DIRS, skipByName } from './eligibility.js';
import { createEmbedder, type EmbedderSpec, embeddingText, vectorBytes } from './embedder.js';
import { type PreparedFile, preparedEmbedder, vectorAt } from './prepare-file.js';
import { PreparePool, THREAD_DEPTH } from './prepare-thread.js';

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
    return await indexPass({ repo, input, ws, p, report, started, signal });
  } finally {
    ws.close();
  }
}

/** One pass's state and what it works on. */
interface Pass {
  repo: RagRepo;
  input: IndexJobInput;
  ws: WorkspaceDir;
  p: JobProgress;
  report: (force?: boolean) => void;
  started: number;
  signal: AbortSignal;
}

async function indexPass(pass: Pass): Promise<JobProgress> {
  const { embedder, limits } = pass.input;
  const pool = new PreparePool({ embedder: preparedEmbedder(embedder), chunk: limits.chunk });
  try {
    const known = pass.repo.fileStates(pass.input.indexId);
    // Perf: a first pass prepares every file; its thread starts while the walk runs (~0.1 s to be ready).
    if (known.size === 0) pool.start();
    const files = await walk(pass);
    return await indexFiles(pass, files, known, pool);
  } finally {
    await pool.close();
  }
}

async function walk({ input, ws, p, report, signal }: Pass): Promise<{ rel: string }[]> {
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
  return files;
}

/** A changed file on its way to the index: its chunks are being prepared (here or in the prepare thread). */
interface Preparing {
  file: Omit<FileUpdate, 'chunks' | 'language'>;
  prepared: Promise<PreparedFile>;
  settled: boolean;
  /** Stored vectors of an edited file's chunks, by content hash: unchanged chunks keep theirs. */
  reuse?: Map<string, Buffer>;
}

type Ready = Omit<Preparing, 'prepared' | 'settled'> & { prepared: PreparedFile };

async function indexFiles(
  pass: Pass,
  files: readonly { rel: string }[],
  known: ReadonlyMap<string, FileState>,
  pool: PreparePool,
): Promise<JobProgress> {
  const { repo, input, ws, p, report, started, signal } = pass;
  const seen = new Set<string>();
  const embedder = createEmbedder(input.embedder);
  const indexingStarted = performance.now();
  let batch: Ready[] = [];
  let deletions: string[] = [];
  let batchChunks = 0;

  const flush = async () => {
    if (batch.length === 0 && deletions.length === 0) return;
    // Vectors the preparer did not make (an embedder that takes texts, not tokens): embedded here, batched.
    const toEmbed = batch.flatMap((b) =>
      b.prepared.vectors
        ? []
        : b.prepared.chunks
            .filter((c) => b.reuse?.get(c.hash) === undefined)
            .map((c) => ({ c, text: embeddingText({ path: b.file.path, symbol: c.symbol, content: c.content }) })),
    );
    const embedded =
      toEmbed.length > 0
        ? await embedder.embed(
            toEmbed.map((x) => x.text),
            signal,
          )
        : [];
    const fresh = new Map(toEmbed.map((x, i) => [x.c, vectorBytes(embedded[i] as Float32Array)]));
    const updates: FileUpdate[] = batch.map(({ file, prepared, reuse }) => ({
      ...file,
      language: prepared.language,
      chunks: prepared.chunks.map((c, i) => ({
        ...c,
        path: file.path,
        language: prepared.language,
        ftsPath: prepared.ftsPath,
        vector:
          reuse?.get(c.hash) ??
          (prepared.vectors ? vectorAt(prepared.vectors, prepared.chunks.length, i) : (fresh.get(c) as Buffer)),
      })),
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

  // Files are prepared a window ahead and written in walk order (the index does not depend on which thread
  // prepared what): the oldest is taken once it is ready, or awaited when the window is full.
  const preparing: Preparing[] = [];
  const collect = async (all: boolean) => {
    while (preparing.length > 0) {
      const head = preparing[0] as Preparing;
      if (!all && !head.settled && preparing.length < PREPARE_WINDOW) return;
      preparing.shift();
      const prepared = await head.prepared;
      batch.push({ file: head.file, prepared, ...(head.reuse ? { reuse: head.reuse } : {}) });
      batchChunks += prepared.chunks.length;
      if (batch.length >= input.limits.batchFiles || batchChunks >= input.limits.batchFiles * 16) await flush();
    }
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
      // Perf: a helper thread only pays once a pass has enough files to prepare (its start costs ~0.1 s CPU).
      if (p.filesIndexed === THREAD_AFTER_FILES) pool.start();
      const reuse = before ? repo.vectorsByHash(input.indexId, f.rel) : undefined;
      const item: Preparing = {
        file: { path: f.rel, hash: outcome.hash, size: outcome.size, mtimeMs: outcome.mtimeMs },
        prepared: pool.prepare(f.rel, outcome.text, reuse ? new Set(reuse.keys()) : undefined),
        settled: false,
        ...(reuse ? { reuse } : {}),
      };
      item.prepared.then(
        () => {
          item.settled = true;
        },
        () => {
          item.settled = true; // its error is raised in order, by collect
        },
      );
      preparing.push(item);
      p.filesIndexed++;
    }
    p.filesDone++;
    // Small files are read synchronously: without this the prepare thread's answers would wait for the
    // next read that blocks (and the indexer would prepare files itself instead of writing ready ones).
    if (pool.threaded) await new Promise<void>((resolve) => setImmediate(resolve));
    await collect(false);
    p.indexingMs = Math.round(performance.now() - indexingStarted);
    report();
  }
  await collect(true);
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

/** Changed files a pass prepares before it starts the prepare thread. */
const THREAD_AFTER_FILES = 32;
/** Changed files prepared ahead of the one being written: the thread's share plus the indexer's own. */
const PREPARE_WINDOW = THREAD_DEPTH + 80;

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
