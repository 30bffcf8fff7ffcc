import { beforeAll, describe, expect, it } from 'vitest';
import { cookiePair, raw } from '../helpers/preview-app.js';
import { TerminalProbe } from '../helpers/terminal.js';
import { eventually, node, PTY_SHELL, RUNTIME_TRAITS, type RuntimeApi } from './api.js';

/** Terminals, ports and previews, search and the index, and typed errors. */
export function serviceCases(api: RuntimeApi): void {
  const { call, exec, output, files, write, read } = api;

  describe('terminals (PTY over Socket.IO)', () => {
    const c = 'pty';
    beforeAll(async () => {
      await api.fixture().createContainer(c);
      await write(c, 'marker.txt', 'pty-marker-content\n');
    }, 60_000);

    it('runs the interactive shell in the workspace; input, output, close', async () => {
      const p = await TerminalProbe.connect(api.fixture().baseUrl, api.fixture().token);
      try {
        const opened = await p.client.open({
          container: c,
          command: [PTY_SHELL[api.fixture().name]],
          cols: 100,
          rows: 30,
        });
        const id = opened.terminal.id;
        expect(id).toMatch(/^term_/);
        await p.client.input(id, 'cat marker.txt\r');
        await p.waitFor(id, /pty-marker-content\r?\n/, 15_000);
        const mark = p.length(id);
        await p.client.input(id, `node -e "console.log('n='+6*7)"\r`);
        await p.waitFor(id, /n=42\r?\n/, 15_000, mark);
        const listed = (await call('GET', `/terminal/sessions?container=${c}`)).body.terminals;
        expect(listed.find((x: { id: string }) => x.id === id)).toMatchObject({ running: true, attached: 1 });
        const closed = await call('POST', `/terminal/sessions/${id}/close`);
        expect(closed.body.running).toBe(false);
        await p.waitExit(id);
      } finally {
        p.close();
      }
    });
  });

  describe('ports and previews', () => {
    const c = 'web';
    const port = 3000;
    beforeAll(async () => {
      await api.fixture().createContainer(c);
    }, 60_000);

    it('announces a served port with its preview URL and serves it through the preview', async () => {
      const r = await exec(
        c,
        node(
          `require('http').createServer((q,s)=>s.end('served:'+q.url)).listen(${port},()=>console.log('listening'))`,
        ),
        { background: true },
      );
      expect(r.running).toBe(true);
      const ports = await eventually(
        () => call('GET', `/containers/${c}/ports`),
        (x) => x.body.ports?.some((p: { port: number }) => p.port === port),
      );
      const proxied = RUNTIME_TRAITS[api.fixture().name].proxiedPreviews;
      // Proxied previews live under the daemon's /preview/<c>/<port>/; others at the URL the runtime reports.
      const previewUrl = proxied ? expect.stringContaining(`/${port}/`) : expect.stringMatching(`^https://.*${port}`);
      expect(ports.body.ports).toContainEqual(
        expect.objectContaining({ port, urls: expect.objectContaining({ path: previewUrl }) }),
      );
      const announced = await output(r.processId);
      expect(announced).toMatchObject({ running: true });
      expect((announced as unknown as { ports: { port: number; url: string }[] }).ports).toContainEqual({
        port,
        url: previewUrl,
      });
      const open = await call('POST', `/containers/${c}/ports/${port}/preview`);
      if (proxied) {
        expect(open.status).toBe(200);
        const link = new URL(open.body.url);
        const landed = await raw(api.fixture().baseUrl, `${link.pathname}${link.search}`);
        expect(landed.status).toBe(303);
        const page = await raw(api.fixture().baseUrl, `${link.pathname}hello?x=1`, {
          headers: { cookie: cookiePair(landed.headers['set-cookie']) },
        });
        expect(page).toMatchObject({ status: 200, body: 'served:/hello?x=1' });
      } else {
        expect(open).toMatchObject({ status: 409, body: { error: { code: 'unsupported' } } });
      }
      await call('POST', `/terminal/processes/${r.processId}/kill`, {});
    });

    it('answers port_closed for a port nothing listens on', async () => {
      const r = await call('POST', `/containers/${c}/ports/3999/preview`);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe(
        RUNTIME_TRAITS[api.fixture().name].proxiedPreviews ? 'port_closed' : 'unsupported',
      );
    });
  });

  describe('search and the index', () => {
    const c = 'find';
    beforeAll(async () => {
      await api.fixture().createContainer(c);
      await write(c, 'src/retry.js', 'function computeBackoffDelay(attempt) {\n  return 2 ** attempt * 100;\n}\n');
      await write(c, 'docs/guide.md', '# Guide\n\n## Deploying\n\nTerminate TLS at the proxy.\n');
      await exec(
        c,
        node(
          "require('fs').writeFileSync('written-inside.js','function parseInvoiceTotals(lines) {\\n  return lines.length;\\n}\\n')",
        ),
      );
    }, 60_000);

    it('file_search finds text and names, including a file a command wrote', async () => {
      const byText = await eventually(
        () => call('POST', `${files(c)}/search`, { query: 'parseInvoiceTotals' }),
        (x) => x.body.matches?.length > 0,
      );
      expect(byText.body.matches).toEqual([
        expect.objectContaining({ path: 'written-inside.js', line: 1, text: expect.stringContaining('parseInvoice') }),
      ]);
      const byGlob = await call('POST', `${files(c)}/search`, { glob: '**/*.md' });
      expect(byGlob.body.matches).toEqual([{ path: 'docs/guide.md' }]);
    });

    it('rag_index and rag_search see the files written, by the API and by a command', async () => {
      const idx = await call('POST', '/rag/index', { container: c, wait: true });
      expect(idx.status).toBe(200);
      expect(idx.body, JSON.stringify(idx.body)).toMatchObject({ state: 'ready', files: 3 });
      const backoff = await call('POST', '/rag/search', { container: c, query: 'backoff delay for an attempt', k: 3 });
      expect(backoff.body.results[0]).toMatchObject({ path: 'src/retry.js' });
      const inside = await call('POST', '/rag/search', { container: c, query: 'parseInvoiceTotals', k: 3 });
      expect(inside.body.results[0]).toMatchObject({ path: 'written-inside.js' });
    });
  });

  describe('typed errors', () => {
    const c = 'errs';
    beforeAll(async () => {
      await api.fixture().createContainer(c);
    }, 60_000);

    it('answers not_found for an unknown process on every process op', async () => {
      const answers = await Promise.all([
        call('GET', '/terminal/processes/proc_nope/output'),
        call('POST', '/terminal/processes/proc_nope/input', { text: 'x' }),
        call('POST', '/terminal/processes/proc_nope/kill', {}),
      ]);
      for (const r of answers) {
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('not_found');
      }
    });

    it('answers a bad path with the same code on files and exec', async () => {
      const outside = [
        read(c, 'path=../outside.txt'),
        write(c, '../outside.txt', 'x'),
        call('GET', `${files(c)}?path=..`),
        call('DELETE', `${files(c)}?path=../x`),
        call('POST', '/terminal/execute', { container: c, command: ['pwd'], cwd: '../..' }),
      ];
      for (const r of await Promise.all(outside)) {
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error.code).toBe('path_outside_workspace');
      }
      const nul = await read(c, 'path=a%00b');
      expect(nul.body.error.code).toBe('invalid_path');
    });

    it('answers not_found, not_a_file and not_a_directory as the workspace says', async () => {
      await write(c, 'plain.txt', 'x');
      expect((await read(c, 'path=missing.txt')).body.error.code).toBe('not_found');
      expect((await read(c, 'path=.')).body.error.code).toBe('not_a_file');
      expect((await call('GET', `${files(c)}?path=plain.txt`)).body.error.code).toBe('not_a_directory');
      expect(
        (await call('POST', '/terminal/execute', { container: 'no-such-container', command: ['true'] })).status,
      ).toBe(404);
    });
  });
}
