import { existsSync } from 'node:fs';
import { hasCommand, requireSystem } from './system.js';

/** Computer-use tests need bubblewrap (the browser runs in the container's sandbox) and Debian's Chromium. */
export const browserTestsEnabled = (): boolean =>
  requireSystem('bubblewrap', hasCommand('bwrap', ['--version'])) &&
  requireSystem('chromium', existsSync('/usr/lib/chromium/chromium') || existsSync('/usr/bin/chromium'));

/** The ref of the first snapshot line containing `text` (e.g. `textbox "Your name"`). */
export function refOf(snapshot: string, text: string): string {
  const line = snapshot.split('\n').find((l) => l.includes(text));
  const m = line && /\[ref=((?:f\d+)?e\d+)\]/.exec(line);
  if (!m) throw new Error(`no ref for ${text} in:\n${snapshot}`);
  return m[1] as string;
}

/**
 * A small web app for `node -e <script> <port>` inside a container (no packages): a form that posts to
 * /api/greet and shows the answer, a console error and a failed request on load, a red box at a known
 * place, a click counter, and a sign-in that sets a persistent cookie (/login) read back by /me.
 */
export const BROWSER_APP = `
const http = require('http');
const port = Number(process.argv[1]);
const page = \`<!doctype html><html><head><title>Test app</title>
<style>body{margin:0;font-family:sans-serif} #box{position:absolute;left:0;top:0;width:100px;height:100px;background:rgb(255,0,0)}
#count{position:absolute;left:200px;top:20px;width:120px;height:40px} form{position:absolute;top:120px;left:10px}</style></head>
<body><div id="box"></div>
<button id="count" onclick="this.textContent='clicked ' + (++window.n)">count me</button>
<form id="f"><label>Your name <input name="who"></label> <button type="submit">Greet</button></form>
<p id="out" style="position:absolute;top:200px;left:10px"></p>
<script>
window.n = 0;
console.error('boom: something broke');
fetch('/missing-thing');
fetch('http://localhost:3999/nothing-listens').catch(() => {});
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const who = new FormData(e.target).get('who');
  const r = await fetch('/api/greet', { method: 'POST', body: who });
  document.getElementById('out').textContent = await r.text();
});
</script></body></html>\`;
http.createServer((q, r) => {
  let body = '';
  q.on('data', (c) => { body += c; });
  q.on('end', () => {
    if (q.url === '/') { r.setHeader('content-type', 'text/html'); return r.end(page); }
    if (q.url === '/api/greet') return r.end('Hello, ' + body + '!');
    if (q.url === '/login') { r.setHeader('set-cookie', 'sid=s3cret; Max-Age=86400; Path=/; HttpOnly'); r.setHeader('content-type', 'text/html'); return r.end('<title>in</title><h1>Signed in</h1>'); }
    if (q.url === '/me') { r.setHeader('content-type', 'text/html'); const m = /sid=([a-z0-9]+)/.exec(q.headers.cookie || ''); return r.end('<title>me</title><h1>' + (m ? 'user ' + m[1] : 'anonymous') + '</h1>'); }
    if (q.url === '/slow') { return setTimeout(() => r.end('late'), 20000); }
    r.statusCode = 404; r.end('no');
  });
}).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;
