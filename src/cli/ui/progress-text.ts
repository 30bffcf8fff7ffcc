/** Plain-text progress of an index pass (no ink here, so commands load fast). */
import type { OpOutput } from '../client.js';

export type IndexStatusView = OpOutput<'rag_index'>;

const BAR_WIDTH = 30;

/** `1m 05s`, `42s`, or `?` while no rate is known yet. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return '?';
  const s = Math.ceil(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** One plain line per status, for logs and pipes (no terminal control codes). */
export function progressLine(s: IndexStatusView): string {
  const p = s.progress;
  if (!p) return `${s.container}: ${s.state}`;
  if (p.phase === 'scanning') return `${s.container}: scanning the workspace…`;
  const pct = p.filesTotal > 0 ? Math.floor((p.filesDone / p.filesTotal) * 100) : 100;
  return `${s.container}: ${pct}% ${p.filesDone}/${p.filesTotal} files, ${p.chunks} chunks, ${p.filesPerSecond} files/s, ETA ${formatEta(p.etaSeconds)}`;
}

/** The live progress of `disco index`: a bar, counts, rate and ETA. */
