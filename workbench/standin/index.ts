// TEST STAND-IN ONLY (DISCO_WEBCONTAINER_STANDIN, refused outside NODE_ENV=test): the part of
// `@webcontainer/api` the workbench page uses, with this command surface and nothing more:
// node -v, node -e <script> [args], echo, cat <file>, ls [dir], sleep <s>, pwd, true, false,
// sh -c / jsh -c "<those>", and jsh (an interactive shell for terminals: prompt, those commands, exit).
import type { Wc } from '../wc.js';
import { MemFs } from './fs.js';
import { NODE_VERSION, runNode } from './node.js';
import { StandinProcess } from './process.js';

type PortListener = (port: number, type: 'open' | 'close', url: string) => void;
type ReadyListener = (port: number, url: string) => void;

const KNOWN = new Set(['node', 'echo', 'cat', 'ls', 'sleep', 'pwd', 'true', 'false', 'sh', 'jsh']);
const portUrl = (port: number) => `https://${port}-standin.webcontainer.invalid/`;

/** Splits a command line on blanks, honouring '…' and "…" quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3] ?? '');
  return out;
}

export class Standin implements Wc {
  readonly fs = new MemFs();
  private readonly portListeners = new Set<PortListener>();
  private readonly readyListeners = new Set<ReadyListener>();

  on(
    event: 'port' | 'server-ready' | 'error',
    listener: PortListener | ReadyListener | ((e: { message: string }) => void),
  ) {
    if (event === 'port') this.portListeners.add(listener as PortListener);
    if (event === 'server-ready') this.readyListeners.add(listener as ReadyListener);
    return () => {
      this.portListeners.delete(listener as PortListener);
      this.readyListeners.delete(listener as ReadyListener);
    };
  }

  private readonly ports = {
    open: (port: number) => {
      for (const l of this.portListeners) l(port, 'open', portUrl(port));
      for (const l of this.readyListeners) l(port, portUrl(port));
    },
    close: (port: number) => {
      for (const l of this.portListeners) l(port, 'close', portUrl(port));
    },
  };

  async spawn(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string>; terminal?: { cols: number; rows: number } } = {},
  ) {
    if (!KNOWN.has(command)) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' });
    const proc = new StandinProcess(options.terminal);
    const cwd = (options.cwd ?? '.').replace(/^\.\/?/, '');
    const ctx = { cwd, env: options.env ?? {} };
    const nl = options.terminal ? '\r\n' : '\n';
    void this.run([command, ...args], proc, ctx, nl).then(
      (code) => proc.end(code),
      () => proc.end(1),
    );
    return proc;
  }

  private async run(
    argv: string[],
    proc: StandinProcess,
    ctx: { cwd: string; env: Record<string, string> },
    nl: string,
  ): Promise<number> {
    const [cmd, ...args] = argv;
    const say = (s: string) => proc.write(s.replace(/\n/g, nl));
    const ok = (s: string, code: number) => {
      say(s);
      return code;
    };
    const at = (p: string) =>
      p.startsWith('/') ? p.replace(/^\/home\/[^/]+\/?/, '') : ctx.cwd ? `${ctx.cwd}/${p}` : p;
    switch (cmd) {
      case 'node':
        if (args[0] === '-v' || args[0] === '--version') return ok(`${NODE_VERSION}\n`, 0);
        if (args[0] === '-e' && args[1] !== undefined)
          return runNode(args[1], args.slice(2), proc, { fs: this.fs, cwd: ctx.cwd, env: ctx.env, ports: this.ports });
        return ok('node: the test stand-in runs only node -v and node -e\n', 9);
      case 'echo':
        return ok(`${args.join(' ')}\n`, 0);
      case 'cat':
        try {
          for (const f of args) say(this.fs.readText(at(f)));
          return 0;
        } catch {
          return ok(`cat: ${args.join(' ')}: No such file or directory\n`, 1);
        }
      case 'ls':
        try {
          const list = this.fs.list(at(args[0] ?? '.'));
          return ok(list.length ? `${list.join('\n')}\n` : '', 0);
        } catch {
          return ok(`ls: cannot access '${args[0]}': No such file or directory\n`, 2);
        }
      case 'sleep':
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Number(args[0] ?? 0) * 1000);
          proc.abort.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
        return 0;
      case 'pwd':
        return ok(`/home/project${ctx.cwd ? `/${ctx.cwd}` : ''}\n`, 0);
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'sh':
      case 'jsh':
        if (args[0] === '-c' && args[1] !== undefined) return this.line(args[1], proc, ctx, nl);
        if (cmd === 'jsh' && args.length === 0) return this.interactive(proc, ctx);
        return ok(`${cmd}: the test stand-in runs only -c "<command>"\n`, 2);
      default:
        throw Object.assign(new Error(`command not found: ${cmd}`), { code: 'ENOENT' });
    }
  }

  /** One shell line: commands joined by && or ;. */
  private async line(
    line: string,
    proc: StandinProcess,
    ctx: { cwd: string; env: Record<string, string> },
    nl: string,
  ) {
    let code = 0;
    for (const part of line.split(/(&&|;)/)) {
      if (part === '&&') {
        if (code !== 0) return code;
        continue;
      }
      if (part === ';' || part.trim() === '') continue;
      try {
        code = await this.run(words(part.trim()), proc, ctx, nl);
      } catch {
        proc.write(`jsh: command not found: ${words(part.trim())[0]}${nl}`);
        code = 127;
      }
    }
    return code;
  }

  private interactive(proc: StandinProcess, ctx: { cwd: string; env: Record<string, string> }): Promise<number> {
    return new Promise((resolve) => {
      let buf = '';
      let busy = false;
      const prompt = () => proc.write('❯ ');
      proc.abort.signal.addEventListener('abort', () => resolve(137));
      prompt();
      proc.onInput((data) => {
        if (busy) return;
        for (const ch of data) {
          if (ch === '\r' || ch === '\n') {
            proc.write('\r\n');
            const line = buf.trim();
            buf = '';
            if (line === 'exit') return resolve(0);
            if (!line) {
              prompt();
              continue;
            }
            busy = true;
            void this.line(line, proc, ctx, '\r\n').then(() => {
              busy = false;
              prompt();
            });
            return;
          }
          // Like a shell's line editor: Ctrl-U kills the line, Ctrl-C abandons it for a fresh prompt.
          if (ch === '\x15') {
            proc.write('\b \b'.repeat(buf.length));
            buf = '';
            continue;
          }
          if (ch === '\x03') {
            buf = '';
            proc.write('^C\r\n');
            prompt();
            continue;
          }
          if (ch === '\x7f') buf = buf.slice(0, -1);
          else buf += ch;
          proc.write(ch === '\x7f' ? '\b \b' : ch);
        }
      });
    });
  }
}
