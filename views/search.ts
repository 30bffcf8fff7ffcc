import { callTool, dataOf, type Json, openLink, start } from './shared/bridge.js';
import { codeBlock } from './shared/code.js';
import { arr, errorText, h, num, render, str } from './shared/ui.js';

/** Search results with snippets: file_search (lines), rag_search (chunks) and search (documents, fetched on demand). */

/** `text` with every occurrence of the query's words marked. */
function marked(text: string, query: string): (string | HTMLElement)[] {
  const words = query
    .split(/\s+/)
    .filter((w) => w.length > 1)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!words.length) return [text];
  const out: (string | HTMLElement)[] = [];
  const re = new RegExp(words.join('|'), 'gi');
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!m[0]) break;
    out.push(text.slice(last, m.index), h('mark', {}, m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

function lineMatches(d: Json, query: string): HTMLElement[] {
  const byPath = new Map<string, Json[]>();
  for (const m of arr(d.matches)) byPath.set(str(m.path), [...(byPath.get(str(m.path)) ?? []), m]);
  return [...byPath].map(([path, ms]) =>
    h(
      'div',
      { class: 'hit' },
      h('div', { class: 'path mono' }, path),
      ...ms
        .filter((m) => m.line !== undefined)
        .map((m) =>
          h(
            'div',
            { class: 'mono' },
            h('span', { class: 'muted' }, `${num(m.line)}: `),
            ...marked(str(m.text).trim(), query),
          ),
        ),
    ),
  );
}

function chunkHits(results: Json[]): HTMLElement[] {
  return results.map((r) =>
    h(
      'div',
      { class: 'hit' },
      h(
        'div',
        {},
        h('span', { class: 'path mono' }, `${str(r.path)}:${num(r.startLine)}-${num(r.endLine)}`),
        r.symbol ? h('span', { class: 'muted' }, `  ${str(r.symbol)}`) : null,
      ),
      codeBlock(str(r.snippet), str(r.path), num(r.snippetStartLine) ?? 1),
    ),
  );
}

function documentHits(results: Json[], query: string): HTMLElement[] {
  return results.map((r) => {
    const snippet = h('div', {});
    const text = str(r.text) || str(r.snippet);
    if (text) snippet.append(h('pre', {}, ...marked(text, query)));
    const more = async (button: HTMLButtonElement) => {
      button.disabled = true;
      const f = await callTool('fetch', { id: str(r.id) });
      const d = dataOf(f);
      if (f.isError || !d) snippet.replaceChildren(h('div', { class: 'err' }, errorText(f)));
      else {
        const meta = (d.metadata as Json | undefined) ?? {};
        const lines = str(d.text).split('\n').slice(0, 12).join('\n');
        snippet.replaceChildren(codeBlock(lines, str(meta.path), num(meta.startLine) ?? 1));
      }
    };
    return h(
      'div',
      { class: 'hit' },
      h(
        'div',
        { class: 'row' },
        h('span', { class: 'path mono grow' }, str(r.title) || str(r.id)),
        text
          ? null
          : h('button', { onclick: (e: Event) => void more(e.currentTarget as HTMLButtonElement) }, 'Preview'),
        r.url ? h('button', { onclick: () => void openLink(str(r.url)) }, 'Open') : null,
      ),
      snippet,
    );
  });
}

start('search', {
  onResult: (result, args) => {
    const d = dataOf(result) ?? {};
    const query = str(args.query) || str(args.glob);
    if (result.isError) return render(h('section', { class: 'err' }, errorText(result)));
    const results = arr(d.results);
    const hits = Array.isArray(d.matches)
      ? lineMatches(d, query)
      : results.some((r) => r.snippet !== undefined && r.path !== undefined)
        ? chunkHits(results)
        : documentHits(results, query);
    const count = Array.isArray(d.matches) ? arr(d.matches).length : results.length;
    render(
      h(
        'header',
        {},
        h('span', { class: 'title' }, query ? `“${query}”` : 'Search'),
        h('span', { class: 'muted' }, `${count} result${count === 1 ? '' : 's'}${d.truncated ? '+' : ''}`),
      ),
      ...(hits.length ? hits : [h('section', { class: 'muted' }, 'Nothing found.')]),
    );
  },
});
