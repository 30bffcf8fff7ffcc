// The workbench page of a webcontainer container: boots the runtime (WebContainer, or the test stand-in
// when the daemon says so), attaches to the daemon over Socket.IO with the token in the URL's fragment,
// runs the container's commands for it, keeps the files in step, and shows a terminal and the preview.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { io } from 'socket.io-client';
import { ProcessBridge } from './bridge.js';
import { Standin } from './standin/index.js';
import { PageSync } from './sync.js';
import type { Wc } from './wc.js';

const banner = document.getElementById('banner') as HTMLElement;
const say = (text: string, kind: 'warn' | 'error' | 'info' = 'warn') => {
  banner.hidden = false;
  banner.className = kind;
  banner.textContent = text;
};
const quiet = () => {
  banner.hidden = true;
};

const container = document.body.dataset.container ?? '';
const token = new URLSearchParams(location.hash.slice(1)).get('attach');
// The token leaves the address bar (and so copies, history entries and screenshots of it).
if (token) history.replaceState(null, '', location.pathname);

const term = new Terminal({ convertEol: false, fontSize: 13 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(document.getElementById('terminal') as HTMLElement);
fit.fit();

let wc: Wc | undefined;
let booting: Promise<Wc> | undefined;

/**
 * How long the runtime may take to boot before the page says why it may not. WebContainer.boot() loads a
 * hidden frame from the runtime's origin and waits for its first message, for ever when the frame cannot
 * load (offline, a proxy or firewall): its commands would only time out, with no cause.
 */
const BOOT_ANSWER_MS = 20_000;

interface Hello {
  standin: boolean;
  apiKey?: string;
  runtimeOrigin?: string;
}

const runtimeOriginOf = (hello: Hello) => hello.runtimeOrigin ?? 'https://stackblitz.com';

async function boot(hello: Hello): Promise<Wc> {
  if (hello.standin) return new Standin();
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated (COOP/COEP headers missing)');
  // Read by the API when it builds its frame's URL (StackBlitz Enterprise runs the runtime elsewhere).
  (globalThis as { WEBCONTAINER_API_IFRAME_URL?: string }).WEBCONTAINER_API_IFRAME_URL = runtimeOriginOf(hello);
  const api = await import('@webcontainer/api');
  if (hello.apiKey) api.configureAPIKey(hello.apiKey);
  return (await api.WebContainer.boot({ workdirName: 'project' })) as unknown as Wc;
}

function startShell(runtime: Wc): void {
  void runtime.spawn('jsh', [], { terminal: { cols: term.cols, rows: term.rows } }).then((p) => {
    const w = p.input.getWriter();
    term.onData((d) => void w.write(d).catch(() => {}));
    term.onResize(({ cols, rows }) => p.resize({ cols, rows }));
    void p.output.pipeTo(new WritableStream({ write: (d) => term.write(d) }));
  });
}

function showPreview(url: string, standin: boolean): void {
  const pane = document.getElementById('preview') as HTMLElement;
  if (pane.dataset.url) return;
  pane.dataset.url = url;
  pane.textContent = '';
  if (standin) {
    pane.textContent = `Preview: ${url}`;
    return;
  }
  const frame = document.createElement('iframe');
  frame.src = url;
  frame.setAttribute('allow', 'cross-origin-isolated');
  pane.append(frame);
}

if (!token) {
  say(`This page needs an attach link: run \`disco open ${container}\` and open the URL it prints.`, 'error');
} else {
  const socket = io('/workbench', { auth: { attach: token }, transports: ['websocket'] });
  const send = (f: Record<string, unknown>) => socket.emit('p', f);
  let bridge: ProcessBridge | undefined;
  let sync: PageSync | undefined;
  let standin = false;
  let chain: Promise<unknown> = Promise.resolve();
  // biome-ignore lint/suspicious/noExplicitAny: frames are checked by their `t`
  const handle = async (f: any) => {
    switch (f.t) {
      case 'hello': {
        standin = f.standin === true;
        booting ??= boot(f);
        const failed = (message: string) => {
          say(message, 'error');
          send({ t: 'boot_failed', message: message.slice(0, 500) });
        };
        // Said, not given up: a boot that answers later still attaches (the daemon forgets the failure).
        const slow = setTimeout(
          () =>
            failed(
              `The WebContainer runtime did not answer in ${BOOT_ANSWER_MS / 1000} s: this browser may not reach ${runtimeOriginOf(f)}/headless (offline, or a proxy or firewall in the way?)`,
            ),
          BOOT_ANSWER_MS,
        );
        try {
          wc = await booting;
        } catch (err) {
          failed(`Cannot start the WebContainer runtime: ${(err as Error).message}`);
          return;
        } finally {
          clearTimeout(slow);
        }
        const runtime = wc;
        if (!sync) {
          sync = new PageSync(runtime, send, (m) => say(m));
          bridge = new ProcessBridge(runtime, send, (url) => showPreview(url, standin));
        }
        sync.exclude = f.exclude;
        return;
      }
      case 'files':
        for (const file of f.files) await sync?.put(file.path, file.data, file.rev);
        if (f.done && wc) {
          if (!document.body.dataset.ready) {
            document.body.dataset.ready = '1';
            sync?.watch();
            startShell(wc);
          }
          send({ t: 'ready' });
          quiet();
        }
        return;
      case 'put':
        await sync?.put(f.path, f.data, f.rev);
        if (f.conflict) say(`${f.path}: the daemon's copy replaced yours (it changed there meanwhile).`);
        return;
      case 'rm':
        await sync?.rm(f.path);
        return;
      case 'conflict':
        say(f.message);
        return;
      case 'spawn':
        void bridge?.spawn(f);
        return;
      case 'input':
        bridge?.input(f.id, f.d);
        return;
      case 'eof':
        bridge?.eof(f.id);
        return;
      case 'resize':
        bridge?.resize(f.id, f.cols, f.rows);
        return;
      case 'signal':
        bridge?.signal(f.id, f.sig);
        return;
      case 'ports':
        bridge?.ports_(f.req);
        return;
      case 'renew':
        socket.auth = { attach: f.token };
        return;
    }
  };
  socket.on('d', (f: unknown) => {
    chain = chain.then(() => handle(f)).catch(() => {});
  });
  let refused = false;
  socket.on('refused', (e: { message?: string }) => {
    refused = true;
    socket.io.reconnection(false);
    say(`Not attached: ${e.message ?? 'refused'}.`, 'error');
  });
  socket.on('connect', () => quiet());
  socket.on('disconnect', (reason) => {
    bridge?.killAll();
    if (refused) return;
    // The daemon let the page go (its container stopped or was deleted): it will not take it back.
    if (reason === 'io server disconnect')
      say(`The daemon let this page go (the container stopped?). Run \`disco open ${container}\` again.`, 'error');
    else say('Lost the daemon — reconnecting…');
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
    const code = err.data?.code;
    if (code === 'unauthorized' || code === 'forbidden' || code === 'conflict' || code === 'unsupported') {
      refused = true;
      socket.io.reconnection(false);
      say(`Not attached: ${err.data?.message ?? err.message}`, 'error');
    } else say(`Cannot reach the daemon: ${err.data?.message ?? err.message}`, 'error');
  });
}
window.addEventListener('resize', () => fit.fit());
