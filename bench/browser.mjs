// Browser (computer use) benchmark. A form-heavy page and a 500-item list page served from a container;
// measured: snapshot size in tokens (approximation: 1 token per 4 characters, the rule of thumb OpenAI and
// Anthropic publish; no tokenizer package is installed), Disco's default budget and full tree against
// @playwright/mcp's browser_snapshot of the same pages in the same run (when it is installed: `npm install
// --no-save @playwright/mcp@0.0.83`; it runs as uid 65534 with Chromium's own sandbox, never root
// --no-sandbox); action→diff and screenshot p50 (both tools); cold and warm browser start.
// Writes bench/results/browser.json. Run with `npm run bench`.

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { FORM_PAGE, LIST_PAGE, SERVER } from './lib/browser-pages.mjs';
import { client, spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { summarize } from './lib/stats.mjs';

const TOKEN = `bench-${Date.now()}-token-padding`;
const N = Number(process.env.BENCH_BROWSER_N ?? 30);
const tokens = (s) => Math.ceil(s.length / 4);
const PEER = new URL('../node_modules/@playwright/mcp/cli.js', import.meta.url).pathname;

if (!existsSync('/usr/lib/chromium/chromium') && !existsSync('/usr/bin/chromium')) {
  console.log('browser bench skipped: chromium is not installed');
  process.exit(0);
}

async function time(fn) {
  const start = performance.now();
  const value = await fn();
  return { ms: Math.round((performance.now() - start) * 10) / 10, value };
}

async function samples(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await time(() => fn(i))).ms);
  return summarize(out);
}

/** GET that reads the whole body as bytes (the REST screenshot is image/png). */
function getBytes(agent, url, token) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`screenshot ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

const refOf = (text, needle) => {
  const line = text.split('\n').find((l) => l.includes(needle));
  return /\[ref=((?:f\d+)?e\d+)\]/.exec(line ?? '')?.[1];
};

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-browser-'));
const { child, url } = await spawnDaemon(home, TOKEN);
const results = { tokenizer: 'approximation: ceil(characters / 4)', n: N };
const call = client(url, TOKEN);
try {
  await call('POST', '/api/v1/containers', { name: 'web' });
  // The pages travel in the environment of the server process started in the container.
  await call('POST', '/api/v1/terminal/execute', {
    container: 'web',
    command: ['node', '-e', SERVER, '3000'],
    env: { FORM_PAGE, LIST_PAGE },
    background: true,
    wait: 1500,
  });
  const api = '/api/v1/computer-use/web';
  const cold = await time(() => call('POST', `${api}/navigate`, { url: 'localhost:3000/form' }));
  results.start = { coldMs: cold.ms };

  const ours = {};
  for (const page of ['form', 'list']) {
    await call('POST', `${api}/navigate`, { url: `localhost:3000/${page}` });
    const def = await call('GET', `${api}/snapshot`);
    const full = await call('GET', `${api}/snapshot?budget=50000`);
    ours[page] = {
      defaultBudget: { snapshotTokens: def.tokens, responseTokens: tokens(JSON.stringify(def)), omitted: def.omitted },
      full: { snapshotTokens: full.tokens, responseTokens: tokens(JSON.stringify(full)) },
    };
  }
  results.snapshot = { disco: ours };

  // action → diff: a click that toggles a checkbox (its ref stays: its name does not change), page loaded.
  await call('POST', `${api}/navigate`, { url: 'localhost:3000/form' });
  const snap = await call('GET', `${api}/snapshot?mode=find&find=newsletter%202`);
  const box = refOf(snap.snapshot, 'checkbox "Subscribe to newsletter 2"');
  results.actionDiffMs = { disco: await samples(N, () => call('POST', `${api}/click`, { ref: box })) };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  results.screenshotMs = { disco: await samples(N, () => getBytes(agent, `${url}${api}/screenshot`, TOKEN)) };
  agent.destroy();

  // Warm start: the same session closed and opened again (profile on disk, sandbox running).
  const warm = [];
  for (let i = 0; i < 3; i++) {
    await call('DELETE', `${api}/sessions/default`);
    warm.push((await time(() => call('POST', `${api}/navigate`, { url: 'localhost:3000/form' }))).ms);
  }
  const warmNav = await samples(5, () => call('POST', `${api}/navigate`, { url: 'localhost:3000/form' }));
  results.start = { ...results.start, restartMs: summarize(warm), navigateRunningMs: warmNav };

  results.peer = existsSync(PEER) ? await peer() : 'not installed (npm install --no-save @playwright/mcp@0.0.83)';
} finally {
  call.close();
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true });
}

/** @playwright/mcp on the same pages, served from the host, as uid 65534 with Chromium's own sandbox. */
async function peer() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const server = http.createServer((q, r) => {
    const body = q.url === '/form' ? FORM_PAGE : q.url === '/list' ? LIST_PAGE : undefined;
    r.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(body ?? 'no');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const peerHome = path.join(os.tmpdir(), `disco-bench-peer-${process.pid}`);
  await mkdir(peerHome, { recursive: true });
  await chmod(peerHome, 0o777);
  const root = process.getuid?.() === 0;
  const argv = [
    process.execPath,
    PEER,
    '--headless',
    '--browser',
    'chromium',
    '--executable-path',
    '/usr/bin/chromium',
    '--isolated',
    '--viewport-size',
    '1280x800',
  ];
  const transport = new StdioClientTransport({
    command: root ? 'setpriv' : (argv[0] ?? 'node'),
    args: root ? ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv.slice(1),
    env: { PATH: process.env.PATH ?? '', HOME: peerHome },
    stderr: 'ignore',
  });
  const c = new Client({ name: 'disco-bench', version: '1.0.0' });
  const text = (r) => r.content.map((x) => (x.type === 'text' ? x.text : '')).join('\n');
  try {
    const started = await time(async () => {
      await c.connect(transport);
      return c.callTool({ name: 'browser_navigate', arguments: { url: `${base}/form` } });
    });
    const out = { version: '0.0.83', coldMs: started.ms, snapshot: {} };
    for (const page of ['form', 'list']) {
      await c.callTool({ name: 'browser_navigate', arguments: { url: `${base}/${page}` } });
      const s = text(await c.callTool({ name: 'browser_snapshot', arguments: {} }));
      const yaml = /```yaml\n([\s\S]*?)```/.exec(s)?.[1] ?? s;
      out.snapshot[page] = { snapshotTokens: tokens(yaml), responseTokens: tokens(s) };
    }
    await c.callTool({ name: 'browser_navigate', arguments: { url: `${base}/form` } });
    const snap = text(await c.callTool({ name: 'browser_snapshot', arguments: {} }));
    const ref = refOf(snap, 'checkbox "Subscribe to newsletter 2"');
    out.actionDiffMs = await samples(N, async () => {
      const r = await c.callTool({ name: 'browser_click', arguments: { element: 'newsletter 2', target: ref } });
      if (r.isError) throw new Error(text(r));
    });
    out.screenshotMs = await samples(N, () => c.callTool({ name: 'browser_take_screenshot', arguments: {} }));
    return out;
  } finally {
    await c.close().catch(() => {});
    server.close();
    await rm(peerHome, { recursive: true, force: true });
  }
}

const ratio = (a, b) => Math.round((a / b) * 1000) / 10;
if (typeof results.peer === 'object') {
  results.snapshot.percentOfPeer = {};
  for (const page of ['form', 'list']) {
    results.snapshot.percentOfPeer[page] = {
      defaultBudget: ratio(
        results.snapshot.disco[page].defaultBudget.responseTokens,
        results.peer.snapshot[page].responseTokens,
      ),
      full: ratio(results.snapshot.disco[page].full.responseTokens, results.peer.snapshot[page].responseTokens),
    };
  }
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/browser.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
