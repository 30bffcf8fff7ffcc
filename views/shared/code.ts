import { highlight, languageOf } from './highlight.js';
import { h } from './ui.js';

/** A file's text with line numbers (from `firstLine`) and highlighting. */
export function codeBlock(text: string, path: string, firstLine = 1): HTMLElement {
  const grid = h('div', { class: 'code', role: 'table' });
  const lines = highlight(text.endsWith('\n') ? text.slice(0, -1) : text, languageOf(path));
  lines.forEach((line, i) => {
    grid.append(h('span', { class: 'ln' }, String(firstLine + i)), h('span', { class: 'tx' }, line));
  });
  return grid;
}

/** A unified diff, per line: hunk headers, additions and deletions marked, code highlighted by file type. */
export function diffBlock(diff: string): HTMLElement {
  const grid = h('div', { class: 'code diff' });
  let path = '';
  let oldLine = 0;
  let newLine = 0;
  for (const line of diff.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('diff --git ')) {
      path = line.split(' b/').pop() ?? '';
      grid.append(h('span', { class: 'ln' }), h('span', { class: 'tx hunk' }, path));
      continue;
    }
    if (/^(index |--- |\+\+\+ |new file|deleted file|similarity|rename |old mode|new mode)/.test(line)) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      grid.append(h('span', { class: 'ln' }, '…'), h('span', { class: 'tx hunk' }, line));
      continue;
    }
    const sign = line[0];
    const kind = sign === '+' ? 'add' : sign === '-' ? 'del' : '';
    let number: number;
    if (sign === '+') number = newLine++;
    else if (sign === '-') number = oldLine++;
    else {
      oldLine++;
      number = newLine++;
    }
    const code = highlight(line.slice(1), languageOf(path))[0] as DocumentFragment;
    grid.append(
      h('span', { class: `ln ${kind}` }, String(number)),
      h('span', { class: `tx ${kind}` }, sign === '+' || sign === '-' ? sign : ' ', code),
    );
  }
  return grid;
}
