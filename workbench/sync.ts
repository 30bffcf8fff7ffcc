// The file half of the workbench page: mounts the tree the daemon sends, applies its pushes, and sends
// the page's own changes back (fs.watch, debounced). The daemon's copy is the truth: a conflict is told
// here and the daemon's copy replaces the page's.
import type { Wc } from './wc.js';

type Send = (frame: Record<string, unknown>) => void;
const DEBOUNCE_MS = 150;
const MAX_FILE_BYTES = 512 * 1024;

const toB64 = (bytes: Uint8Array) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const dirOf = (p: string) => p.split('/').slice(0, -1).join('/');

export class PageSync {
  /** What the page has of each path, as the daemon last knew it: its revision and content. */
  private readonly known = new Map<string, { rev: number; data: string }>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  exclude: string[] = ['node_modules'];

  constructor(
    private readonly wc: Wc,
    private readonly send: Send,
    private readonly tell: (message: string) => void,
  ) {}

  private excluded(p: string): boolean {
    return p.split('/').some((c) => this.exclude.includes(c) || c === '.git');
  }

  async put(path: string, data: string, rev: number): Promise<void> {
    this.known.set(path, { rev, data });
    const dir = dirOf(path);
    if (dir) await this.wc.fs.mkdir(dir, { recursive: true });
    await this.wc.fs.writeFile(path, fromB64(data));
  }

  async rm(path: string): Promise<void> {
    for (const k of [...this.known.keys()]) if (k === path || k.startsWith(`${path}/`)) this.known.delete(k);
    await this.wc.fs.rm(path, { recursive: true, force: true });
  }

  watch(): void {
    this.wc.fs.watch('.', { recursive: true }, (_event, filename) => {
      if (filename === null) return;
      const name = typeof filename === 'string' ? filename : new TextDecoder().decode(filename);
      const p = name.replace(/^\.?\//, '');
      if (!p || this.excluded(p)) return;
      this.dirty.add(p);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.flush(), DEBOUNCE_MS);
    });
  }

  private async flush(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const changes: Record<string, unknown>[] = [];
    for (const p of paths) {
      const had = this.known.get(p);
      let bytes: Uint8Array | undefined;
      try {
        bytes = await this.wc.fs.readFile(p);
      } catch {
        bytes = undefined; // gone, or a directory
      }
      if (bytes === undefined) {
        if (had) {
          this.known.delete(p);
          changes.push({ op: 'rm', path: p, rev: had.rev });
        }
        continue;
      }
      if (bytes.length > MAX_FILE_BYTES) {
        this.tell(`${p} is over ${MAX_FILE_BYTES} bytes and is not synced to the daemon`);
        continue;
      }
      const data = toB64(bytes);
      if (had?.data === data) continue; // the daemon's own push, or no change
      const rev = had?.rev ?? 0;
      this.known.set(p, { rev, data });
      changes.push({ op: 'put', path: p, rev, data });
    }
    for (let i = 0; i < changes.length; i += 64) this.send({ t: 'fs', changes: changes.slice(i, i + 64) });
  }
}
