// TEST STAND-IN ONLY (DISCO_WEBCONTAINER_STANDIN, refused outside NODE_ENV=test): an in-memory file system
// with the part of WebContainer's `fs` the workbench page uses, including a recursive watch.
import type { WcFs } from '../wc.js';

const norm = (p: string) =>
  p
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .join('/');
const parentOf = (p: string) => p.split('/').slice(0, -1).join('/');
const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });

export class MemFs implements WcFs {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['']);
  private readonly watchers = new Set<(event: string, name: string) => void>();

  private changed(event: string, p: string): void {
    for (const w of this.watchers) w(event, p);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const f = this.files.get(norm(path));
    if (!f) throw enoent(path);
    return f;
  }

  readSync(path: string): Uint8Array {
    const f = this.files.get(norm(path));
    if (!f) throw enoent(path);
    return f;
  }

  readText(path: string): string {
    return new TextDecoder().decode(this.readSync(path));
  }

  exists(path: string): boolean {
    const p = norm(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    this.writeSync(path, data);
  }

  writeSync(path: string, data: Uint8Array | string): void {
    const p = norm(path);
    if (!this.dirs.has(parentOf(p))) throw enoent(path);
    this.files.set(p, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.changed('change', p);
  }

  async mkdir(path: string): Promise<void> {
    let cur = '';
    for (const c of norm(path).split('/').filter(Boolean)) {
      cur = cur ? `${cur}/${c}` : c;
      this.dirs.add(cur);
    }
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    const p = norm(path);
    if (this.files.delete(p)) return this.changed('rename', p);
    if (!this.dirs.has(p)) {
      if (options.force) return;
      throw enoent(path);
    }
    for (const f of [...this.files.keys()]) if (f.startsWith(`${p}/`)) this.files.delete(f);
    for (const d of [...this.dirs]) if (d === p || d.startsWith(`${p}/`)) this.dirs.delete(d);
    this.changed('rename', p);
  }

  list(path: string): string[] {
    const p = norm(path);
    if (!this.dirs.has(p)) throw enoent(path);
    const prefix = p ? `${p}/` : '';
    const names = new Set<string>();
    for (const k of [...this.files.keys(), ...this.dirs]) {
      if (k !== p && k.startsWith(prefix) && k.length > prefix.length)
        names.add(k.slice(prefix.length).split('/')[0] as string);
    }
    return [...names].sort();
  }

  watch(_path: string, _options: { recursive?: boolean }, listener: (event: string, filename: string) => void) {
    this.watchers.add(listener);
    return { close: () => void this.watchers.delete(listener) };
  }
}
