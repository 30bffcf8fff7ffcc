import { expect } from 'vitest';
import { callWithToken } from '../helpers/daemon.js';
import type { RuntimeFixture } from './cases.js';

export interface Process {
  processId: string;
  running: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Present (true) where the runtime gives one stream (stderr in stdout). */
  stderrMerged?: true;
}
export interface OutputPage {
  status: string;
  running: boolean;
  exitCode: number | null;
  records: { stream: 'stdout' | 'stderr'; text: string }[];
  nextOffset: number;
  truncated: boolean;
}

/** The interactive shell a PTY case opens, per runtime. */
export const PTY_SHELL: Record<RuntimeFixture['name'], string> = { sandbox: 'sh', webcontainer: 'jsh' };

/**
 * Where runtimes genuinely differ, stated once. WebContainer's processes have one output stream (stderr
 * arrives in stdout), and its previews are served by WebContainer's own origin, reported by the page, so
 * the daemon cannot proxy them (`preview_open` answers `unsupported`).
 */
export const RUNTIME_TRAITS: Record<RuntimeFixture['name'], { separateStderr: boolean; proxiedPreviews: boolean }> = {
  sandbox: { separateStderr: true, proxiedPreviews: true },
  webcontainer: { separateStderr: false, proxiedPreviews: false },
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `done` holds of its value (a runtime may sync files or ports back a moment later). */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > end) return v;
    await sleep(100);
  }
}

/** `node -e <script>` as an argv. */
export const node = (script: string, ...args: string[]) => ['node', '-e', script, ...args];

/** The REST calls the cases make, on the fixture the suite built (read when a case runs). */
export function runtimeApi(fixture: () => RuntimeFixture) {
  // biome-ignore lint/suspicious/noExplicitAny: the cases assert on arbitrary JSON shapes
  const call = <T = any>(method: string, urlPath: string, body?: unknown) =>
    callWithToken(fixture().baseUrl, method, `/api/v1${urlPath}`, fixture().token, body) as Promise<{
      status: number;
      body: T;
    }>;
  const exec = async (container: string, command: string[] | string, extra: Record<string, unknown> = {}) => {
    const r = await call<Process>('POST', '/terminal/execute', {
      container,
      command,
      ...(typeof command === 'string' ? { shell: true } : {}),
      timeoutMs: 30_000,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const output = (id: string, offset = 0, maxBytes?: number) =>
    call<OutputPage>(
      'GET',
      `/terminal/processes/${id}/output?offset=${offset}${maxBytes ? `&maxBytes=${maxBytes}` : ''}`,
    ).then((r) => r.body);
  /** Follows a process by offset until it ends: all its output in order, and the last page. */
  const follow = async (id: string, maxBytes?: number) => {
    let offset = 0;
    let text = '';
    const end = Date.now() + 20_000;
    for (;;) {
      const page = await output(id, offset, maxBytes);
      text += page.records.map((r) => r.text).join('');
      offset = page.nextOffset;
      if (!page.running && !page.truncated) return { text, last: page };
      if (Date.now() > end) throw new Error(`process ${id} did not end: ${JSON.stringify(page)}`);
      if (!page.truncated) await sleep(50);
    }
  };
  const files = (c: string) => `/containers/${c}/files`;
  const write = (c: string, path: string, content: string, extra: Record<string, unknown> = {}) =>
    call('PUT', `${files(c)}/content`, { path, content, ...extra });
  const read = (c: string, query: string) => call('GET', `${files(c)}/content?${query}`);
  return { fixture, call, exec, output, follow, files, write, read };
}

export type RuntimeApi = ReturnType<typeof runtimeApi>;
