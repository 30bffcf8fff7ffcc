// TEST STAND-IN ONLY: `node -e <script>` for the shared op cases, evaluated in the page with a few shims
// (console, process, timers, fs, http). Not Node: just enough of it, and clearly not a sandbox (the page
// is the sandbox; this exists only under NODE_ENV=test).
import type { MemFs } from './fs.js';
import type { StandinProcess } from './process.js';

export const NODE_VERSION = 'v20.19.0';

export interface Ports {
  open(port: number): void;
  close(port: number): void;
}

class Exit {
  constructor(readonly code: number) {}
}

const show = (v: unknown) =>
  typeof v === 'string' ? v : v instanceof Error ? String(v.stack ?? v) : JSON.stringify(v);

/** Resolves with the exit code once the script is done and nothing keeps it alive, or it exits. */
export function runNode(
  script: string,
  args: string[],
  proc: StandinProcess,
  ctx: { fs: MemFs; cwd: string; env: Record<string, string>; ports: Ports },
): Promise<number> {
  return new Promise((resolve) => {
    let finished = false;
    let running = true;
    let wantsStdin = false;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const servers = new Set<number>();
    const dataCbs: Array<(d: string) => void> = [];
    const endCbs: Array<() => void> = [];
    const done = (code: number) => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      for (const p of servers) ctx.ports.close(p);
      resolve(code);
    };
    const check = () => {
      if (!running && timers.size === 0 && servers.size === 0 && !wantsStdin) done(0);
    };
    proc.abort.signal.addEventListener('abort', () => done(137));
    const guard = (fn: () => void) => {
      if (finished) return;
      try {
        fn();
      } catch (e) {
        if (e instanceof Exit) return;
        proc.write(`${show(e)}\n`);
        done(1);
      }
      check();
    };
    const path = (p: string) => (p.startsWith('/') ? p.replace(/^\/home\/[^/]+\/?/, '') : `${ctx.cwd}/${p}`);
    const fs = {
      // Like Node: bytes without an encoding, text with one.
      readFileSync: (p: string, encoding?: string | { encoding?: string }) =>
        (typeof encoding === 'string' ? encoding : encoding?.encoding)
          ? ctx.fs.readText(path(p))
          : ctx.fs.readSync(path(p)),
      writeFileSync: (p: string, data: string) => ctx.fs.writeSync(path(p), String(data)),
      existsSync: (p: string) => ctx.fs.exists(path(p)),
    };
    const http = {
      createServer: (_handler: unknown) => {
        let port = 0;
        const server = {
          listen: (p: number, ...rest: unknown[]) => {
            port = Number(p);
            servers.add(port);
            ctx.ports.open(port);
            const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
            if (cb) setTimeout(() => guard(cb), 0);
            return server;
          },
          close: () => {
            servers.delete(port);
            ctx.ports.close(port);
            check();
          },
          on: () => server,
          address: () => ({ port }),
        };
        return server;
      },
    };
    const writeOut = (s: string) => {
      proc.write(String(s));
      return true;
    };
    const process = {
      argv: ['node', ...args],
      env: { ...ctx.env },
      version: NODE_VERSION,
      exit: (code = 0) => {
        done(Number(code) || 0);
        throw new Exit(Number(code) || 0);
      },
      stdout: { write: (s: string) => writeOut(s) },
      stderr: { write: (s: string) => writeOut(s) },
      stdin: {
        on: (event: string, cb: (d?: string) => void) => {
          wantsStdin = true;
          if (event === 'data') dataCbs.push(cb);
          if (event === 'end') endCbs.push(cb as () => void);
          return process.stdin;
        },
        setEncoding: () => process.stdin,
        resume: () => process.stdin,
      },
      cwd: () => `/home/project/${ctx.cwd}`.replace(/\/$/, ''),
    };
    proc.onInput((d) =>
      guard(() => {
        for (const cb of dataCbs) cb(d);
      }),
    );
    proc.onInputEnd(() =>
      guard(() => {
        wantsStdin = false;
        for (const cb of endCbs) cb();
      }),
    );
    const log = (...a: unknown[]) => proc.write(`${a.map(show).join(' ')}\n`);
    const console = { log, info: log, error: log, warn: log };
    const setT = (cb: () => void, ms = 0) => {
      const t = setTimeout(() => {
        timers.delete(t);
        guard(cb);
      }, ms);
      timers.add(t);
      return t;
    };
    const setI = (cb: () => void, ms = 0) => {
      const t = setInterval(() => guard(cb), Math.max(1, ms));
      timers.add(t);
      return t;
    };
    const clear = (t: ReturnType<typeof setTimeout>) => {
      clearTimeout(t);
      timers.delete(t);
      queueMicrotask(check);
    };
    const require = (name: string) => {
      if (name === 'fs' || name === 'node:fs') return fs;
      if (name === 'http' || name === 'node:http') return http;
      throw new Error(`Cannot find module '${name}' (the test stand-in has fs and http only)`);
    };
    const names = ['require', 'process', 'console', 'setTimeout', 'setInterval', 'clearInterval', 'clearTimeout'];
    queueMicrotask(() => {
      guard(() => {
        // The test stand-in evaluates `node -e` scripts by design (CSP allows it only with the stand-in).
        const fn = new Function(...names, script);
        fn(require, process, console, setT, setI, clear, clear);
      });
      running = false;
      check();
    });
  });
}
