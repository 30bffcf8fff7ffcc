// Two realistic pages for the browser benchmark, served by one dependency-free Node server (run inside a
// container with `node -e SERVER <port>`, and on the host for the peer): a form-heavy settings app and a
// long product list. Both have a click counter (#count) for action timings.

const NAV = Array.from({ length: 15 }, (_, i) => `<a href="/section/${i}">Section ${i}</a>`).join(' ');
const FOOT = Array.from({ length: 20 }, (_, i) => `<a href="/help/${i}">Help topic ${i}</a>`).join(' ');
const COUNTER = `<button id="count" onclick="this.textContent='clicked ' + (++window.n)">count me</button><script>window.n=0</script>`;

function field(i) {
  const kind = i % 5;
  if (kind === 0) return `<label>Full name ${i} <input name="f${i}" placeholder="Name ${i}"></label>`;
  if (kind === 1)
    return `<label>Country ${i} <select name="f${i}">${Array.from({ length: 12 }, (_, j) => `<option>Country option ${j}</option>`).join('')}</select></label>`;
  if (kind === 2) return `<label><input type="checkbox" name="f${i}"> Subscribe to newsletter ${i}</label>`;
  if (kind === 3)
    return `<fieldset><legend>Plan ${i}</legend>${['Free', 'Pro', 'Team'].map((p) => `<label><input type="radio" name="f${i}"> ${p}</label>`).join('')}</fieldset>`;
  return `<label>Notes ${i} <textarea name="f${i}"></textarea></label>`;
}

export const FORM_PAGE = `<!doctype html><html><head><title>Account settings</title></head><body>
<header><nav>${NAV}</nav></header><main><h1>Account settings</h1>${COUNTER}
<form>${Array.from({ length: 40 }, (_, i) => `<div class="row">${field(i)}</div>`).join('\n')}
<button type="submit">Save settings</button></form></main><footer>${FOOT}</footer></body></html>`;

export const LIST_PAGE = `<!doctype html><html><head><title>Products</title></head><body>
<header><nav>${NAV}</nav></header><main><h1>Products</h1>${COUNTER}<ul>
${Array.from({ length: 500 }, (_, i) => `<li><a href="/p/${i}">Product ${i} — sturdy widget model ${i}</a> <span>$${(i * 1.37).toFixed(2)}</span> <button>Add to cart</button></li>`).join('\n')}
</ul></main><footer>${FOOT}</footer></body></html>`;

/** The server for `node -e SERVER <port>` (pages passed in the environment: the script stays small). */
export const SERVER = `
const http = require('http');
const pages = { '/form': process.env.FORM_PAGE, '/list': process.env.LIST_PAGE };
http.createServer((q, r) => {
  const body = pages[q.url];
  r.statusCode = body ? 200 : 404;
  r.setHeader('content-type', 'text/html');
  r.end(body || 'no');
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));
`;
