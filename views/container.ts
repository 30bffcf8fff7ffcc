import { callTool, dataOf, type Json, openLink, start } from './shared/bridge.js';
import { arr, bytes, errorText, h, pill, render, str } from './shared/ui.js';

/** Container overview: the container, then (ui_container_overview) its files, running processes and open ports. */

function commandOf(p: Json): string {
  return Array.isArray(p.command) ? p.command.map(String).join(' ') : str(p.command);
}

function section(title: string, items: HTMLElement[] | null | undefined, empty: string): HTMLElement {
  return h(
    'section',
    {},
    h('h3', {}, title),
    !items
      ? h('div', { class: 'muted' }, 'Not available with this connection’s permissions.')
      : items.length
        ? h('ul', {}, ...items)
        : h('div', { class: 'muted' }, empty),
  );
}

async function act(button: HTMLButtonElement, name: string, args: Json, then: (d: Json) => Promise<void>) {
  button.disabled = true;
  const r = await callTool(name, args);
  const d = dataOf(r);
  if (r.isError || !d) {
    button.replaceWith(h('span', { class: 'err' }, errorText(r)));
    return;
  }
  await then(d);
}

function draw(c: Json, o: Json | undefined, error?: string): void {
  const files = o?.files as { entries?: Json[]; truncated?: boolean } | null | undefined;
  const processes = o ? (o.processes === null ? null : arr(o.processes)) : [];
  const ports = o ? (o.ports === null ? null : arr(o.ports)) : [];
  render(
    h(
      'header',
      {},
      h('span', { class: 'title' }, str(c.name) || str(c.id)),
      pill(str(c.status) || 'unknown', c.status === 'ready' ? 'ok' : 'muted'),
      h('span', { class: 'muted' }, [str(c.template), str(c.network)].filter(Boolean).join(' · ')),
      h('button', { onclick: () => void load(c) }, 'Refresh'),
    ),
    error ? h('section', { class: 'err' }, error) : null,
    !o
      ? h('section', { class: 'muted' }, 'Loading…')
      : h(
          'div',
          {},
          section(
            'Open ports',
            ports?.map((p) =>
              h(
                'li',
                { class: 'row' },
                h('span', { class: 'mono' }, `:${p.port}`),
                h('span', { class: 'grow muted' }, str(p.command)),
                h(
                  'button',
                  {
                    onclick: (e: Event) =>
                      void act(
                        e.currentTarget as HTMLButtonElement,
                        'preview_open',
                        { container: str(c.id), port: p.port },
                        (d) => openLink(str(d.url)),
                      ),
                  },
                  'Open preview',
                ),
              ),
            ),
            'Nothing is listening.',
          ),
          section(
            'Running processes',
            processes?.map((p) =>
              h(
                'li',
                { class: 'row' },
                h('span', { class: 'grow mono' }, commandOf(p)),
                h(
                  'button',
                  {
                    class: 'danger',
                    onclick: (e: Event) =>
                      void act(e.currentTarget as HTMLButtonElement, 'process_kill', { id: str(p.id) }, () => load(c)),
                  },
                  'Kill',
                ),
              ),
            ),
            'No process is running.',
          ),
          section(
            'Files',
            files
              ? arr(files.entries).map((f) =>
                  h(
                    'li',
                    { class: 'row' },
                    h('span', { class: 'grow mono' }, f.type === 'directory' ? `${str(f.name)}/` : str(f.name)),
                    f.type === 'file' ? h('span', { class: 'muted' }, bytes(Number(f.size))) : null,
                  ),
                )
              : null,
            'The workspace is empty.',
          ),
        ),
  );
}

async function load(c: Json): Promise<void> {
  const r = await callTool('ui_container_overview', { container: str(c.id) });
  const d = dataOf(r);
  if (r.isError || !d) return draw(c, {}, errorText(r));
  draw((d.container as Json) ?? c, d);
}

start('container', {
  onResult: (result) => {
    const c = dataOf(result) ?? {};
    if (result.isError) return render(h('section', { class: 'err' }, errorText(result)));
    draw(c, undefined);
    void load(c);
  },
});
