import { callTool, dataOf, type Json, start } from './shared/bridge.js';
import { codeBlock, diffBlock } from './shared/code.js';
import { bytes, errorText, h, num, pill, render, str } from './shared/ui.js';

/**
 * File view: file_read / fetch show the file highlighted; git_diff shows the diff; file_write shows the
 * written file's diff against git (asked with git_diff), or its content when the workspace has no repository.
 */

function header(path: string, ...extra: (Node | string | null)[]): HTMLElement {
  return h('header', {}, h('span', { class: 'title mono' }, path), ...extra);
}

function showFile(d: Json): void {
  const meta = (d.metadata as Json | undefined) ?? {};
  const path = str(d.path) || str(meta.path) || str(d.title);
  const text = typeof d.content === 'string' ? d.content : str(d.text);
  const binary = d.encoding === 'base64' || meta.encoding === 'base64';
  const first = num(d.startLine) ?? num(meta.startLine) ?? 1;
  const size = num(d.size) ?? num(meta.size);
  const total = num(d.totalLines);
  render(
    header(
      path,
      size !== undefined ? h('span', { class: 'muted' }, bytes(size)) : null,
      total !== undefined ? h('span', { class: 'muted' }, `${total} lines`) : null,
      d.truncated === true ? pill('truncated', 'muted') : null,
    ),
    binary ? h('section', { class: 'muted' }, 'Binary file.') : codeBlock(text, path, first),
  );
}

function showDiff(title: string, diff: string, truncated: boolean, extra?: Node): void {
  render(
    header(title, truncated ? pill('truncated', 'muted') : null),
    diff.trim() ? diffBlock(diff) : h('section', { class: 'muted' }, 'No changes.'),
    extra ?? null,
  );
}

async function showWrite(d: Json, args: Json): Promise<void> {
  const path = str(d.path) || str(args.path);
  const content = args.encoding === 'base64' ? '' : str(args.content);
  const status = h('span', { class: 'muted' }, `${d.created ? 'created' : 'written'}, ${bytes(num(d.size) ?? 0)}`);
  const contentView = () => codeBlock(content, path);
  render(header(path, status), content ? contentView() : null);
  if (!str(args.container)) return;
  const r = await callTool('git_diff', { container: str(args.container), file: path });
  const diff = str(dataOf(r)?.diff);
  if (r.isError || !diff.trim()) return; // no repository, or the file is not tracked: the content stays
  const tabs = h('div', { class: 'tabs' });
  const body = h('div', {});
  const select = (which: 'diff' | 'file') => {
    for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.textContent?.toLowerCase() === which));
    body.replaceChildren(which === 'diff' ? diffBlock(diff) : contentView());
  };
  tabs.append(
    h('button', { onclick: () => select('diff') }, 'Diff'),
    h('button', { onclick: () => select('file') }, 'File'),
  );
  render(header(path, status, tabs), body);
  select('diff');
}

start('file', {
  onResult: (result, args) => {
    const d = dataOf(result) ?? {};
    if (result.isError) render(header(str(args.path) || 'error'), h('section', { class: 'err' }, errorText(result)));
    else if (typeof d.diff === 'string') showDiff(str(args.file) || 'git diff', d.diff, d.truncated === true);
    else if (typeof d.hash === 'string' && d.content === undefined) void showWrite(d, args);
    else showFile(d);
  },
});
