import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './env.js';

export const DISCO_BIN = fileURLToPath(new URL('../../bin/disco.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `disco` binary as a real process (or, with `wrap`, another command line, such as
 * `dbus-run-session -- sh -c '…disco…'`, with the same environment handling).
 */
export function disco(
  args: string[],
  env: Record<string, string>,
  stdin?: string | Buffer,
  wrap?: { command: string; args: string[]; env: Record<string, string> },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrap ? wrap.command : process.execPath, wrap ? wrap.args : [DISCO_BIN, ...args], {
      env: childEnv({ ...env, ...wrap?.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    // A command may stop reading its input before the end, as `head` does: that is no test failure.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  logs: () => string;
  /** SIGTERM, then waits until it has exited (at once if it already has). */
  stop: () => Promise<void>;
}

/** Spawns `disco serve --port 0` and resolves with its URL once it logs that it listens. */
export function spawnServe(home: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DISCO_BIN, 'serve', '--port', '0', '--home', home], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${logs}`)), 15_000);
    child.stdout?.on('data', (c: Buffer) => {
      logs += c.toString();
      const m = /"url":"([^"]+)".*"msg":"disco listening"/.exec(logs);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: m[1], logs: () => logs, stop: () => stopChild(child) });
      }
    });
    child.stderr?.on('data', (c: Buffer) => {
      logs += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${logs}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}
