// The process half of the workbench page: the daemon's spawn/input/eof/resize/signal/ports frames run
// on the page's WebContainer (or the test stand-in); output, exits and ports go back as frames.
import type { Wc, WcProcess } from './wc.js';

type Send = (frame: Record<string, unknown>) => void;
type SpawnFrame = {
  id: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  pty?: boolean;
  cols?: number;
  rows?: number;
};

const b64 = (s: string) => {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
};
const unb64 = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

export class ProcessBridge {
  private readonly procs = new Map<
    string,
    { p: WcProcess; writer: WritableStreamDefaultWriter<string>; pty: boolean; killed?: string }
  >();
  private readonly ports = new Map<number, string>();
  private pid = 100;

  constructor(
    private readonly wc: Wc,
    private readonly send: Send,
    onPreview: (url: string) => void,
  ) {
    wc.on('port', (port, type, url) => {
      if (type === 'open') this.ports.set(port, url);
      else this.ports.delete(port);
      send({ t: 'port', port, open: type === 'open', url });
      if (type === 'open') onPreview(url);
    });
    wc.on('server-ready', (port, url) => {
      if (this.ports.get(port) === url) return;
      this.ports.set(port, url);
      send({ t: 'port', port, open: true, url });
      onPreview(url);
    });
  }

  async spawn(f: SpawnFrame): Promise<void> {
    const [cmd, ...args] = f.argv;
    let p: WcProcess;
    try {
      p = await this.wc.spawn(cmd ?? '', args, {
        cwd: f.cwd,
        env: f.env,
        ...(f.pty ? { terminal: { cols: f.cols ?? 80, rows: f.rows ?? 24 } } : {}),
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.send({ t: 'error', id: f.id, code: e.code ?? 'EFAIL', message: String(e.message ?? err).slice(0, 400) });
      return;
    }
    const entry: { p: WcProcess; writer: WritableStreamDefaultWriter<string>; pty: boolean; killed?: string } = {
      p,
      writer: p.input.getWriter(),
      pty: f.pty === true,
    };
    this.procs.set(f.id, entry);
    this.send({ t: 'spawned', id: f.id, pid: ++this.pid });
    const pump = (async () => {
      const reader = p.output.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        // Chunks stay far below the daemon's frame limit.
        for (let i = 0; i < value.length; i += 64 * 1024) {
          const part = value.slice(i, i + 64 * 1024);
          this.send(f.pty ? { t: 'tty', id: f.id, d: part } : { t: 'out', id: f.id, s: 1, d: b64(part) });
        }
      }
    })();
    const code = await p.exit;
    await Promise.race([pump, new Promise((r) => setTimeout(r, 500))]);
    this.procs.delete(f.id);
    this.send({ t: 'exit', id: f.id, code: entry.killed ? null : code, signal: entry.killed ?? null });
  }

  /** Pipe input is base64 (the daemon's RemoteChild); a PTY's is text. */
  input(id: string, d: string): void {
    const e = this.procs.get(id);
    e?.writer.write(e.pty ? d : unb64(d)).catch(() => {});
  }

  eof(id: string): void {
    this.procs
      .get(id)
      ?.writer.close()
      .catch(() => {});
  }

  resize(id: string, cols: number, rows: number): void {
    this.procs.get(id)?.p.resize({ cols, rows });
  }

  signal(id: string, sig: string): void {
    const e = this.procs.get(id);
    if (!e) return;
    e.killed = sig;
    e.p.kill();
  }

  ports_(req: number): void {
    this.send({ t: 'ports', req, list: [...this.ports].map(([port, url]) => ({ port, url })) });
  }

  /** The daemon is gone: what ran for it is lost there, so it ends here too. */
  killAll(): void {
    for (const e of this.procs.values()) {
      e.killed = 'SIGKILL';
      e.p.kill();
    }
    this.procs.clear();
  }
}
