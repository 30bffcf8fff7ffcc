import { callTool, dataOf, type Json, openLink, start, type ToolResult } from './shared/bridge.js';
import { arr, duration, errorText, h, num, pill, render, str } from './shared/ui.js';

/** Command run: output and exit status; a background process is followed (ui_process_follow) and can be killed. */

interface Rec {
  stream: 'stdout' | 'stderr';
  text: string;
}
interface State {
  command: string;
  container: string;
  id: string;
  running: boolean;
  status: string;
  exitCode: number | null;
  signal: string | null;
  durationMs?: number;
  timedOut: boolean;
  truncated: boolean;
  /** The runtime gives one output stream (webcontainer): stderr is inside stdout. */
  merged: boolean;
  records: Rec[];
  offset: number;
  ports: { port: number; url: string }[];
  error?: string;
}

const POLL_MS = 1000;
const MAX_CHARS = 400_000;
let state: State | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

function commandText(args: Json): string {
  const c = args.command;
  return Array.isArray(c) ? c.map(String).join(' ') : str(c);
}

function statusPill(s: State): HTMLElement {
  if (s.running) return pill('running', 'run');
  if (s.timedOut || s.status === 'timed_out') return pill('timed out', 'bad');
  if (s.status === 'killed' || (s.exitCode === null && s.signal))
    return pill(`killed${s.signal ? ` (${s.signal})` : ''}`, 'bad');
  if (s.status === 'lost') return pill('lost', 'bad');
  return pill(`exit ${s.exitCode}`, s.exitCode === 0 ? 'ok' : 'bad');
}

function draw(): void {
  const s = state;
  if (!s) return;
  const out = h('pre', { class: 'out', 'aria-label': 'output' });
  for (const r of s.records) out.append(r.stream === 'stderr' ? h('span', { class: 'err' }, r.text) : r.text);
  if (!s.records.length) out.append(h('span', { class: 'muted' }, s.running ? 'waiting for output…' : 'no output'));
  const kill = s.running
    ? h('button', { class: 'danger', onclick: (e: Event) => void stop(e.currentTarget as HTMLButtonElement) }, 'Kill')
    : null;
  render(
    h(
      'header',
      {},
      h('span', { class: 'title mono' }, `$ ${s.command || s.id}`),
      statusPill(s),
      s.durationMs !== undefined && !s.running ? h('span', { class: 'muted' }, duration(s.durationMs)) : null,
      kill,
    ),
    out,
    s.truncated ? h('section', { class: 'muted' }, 'Output was cut at the size limit.') : null,
    s.merged
      ? h('section', { class: 'muted' }, "stdout and stderr together: this container's runtime has one output stream.")
      : null,
    s.ports.length
      ? h(
          'section',
          {},
          h('h3', {}, 'Listening'),
          h(
            'ul',
            {},
            ...s.ports.map((p) =>
              h(
                'li',
                { class: 'row' },
                h('span', { class: 'grow mono' }, `:${p.port}`),
                h('button', { onclick: () => void preview(p.port, p.url) }, 'Open preview'),
              ),
            ),
          ),
        )
      : null,
    s.error ? h('section', { class: 'err' }, s.error) : null,
  );
  out.scrollTop = out.scrollHeight;
}

function append(records: Rec[]): void {
  if (!state) return;
  state.records.push(...records);
  let total = state.records.reduce((n, r) => n + r.text.length, 0);
  while (total > MAX_CHARS && state.records.length > 1) total -= (state.records.shift() as Rec).text.length;
}

async function poll(): Promise<void> {
  const s = state;
  if (!s?.running) return;
  const r = await callTool('ui_process_follow', { id: s.id, offset: s.offset }).catch(
    (e: Error): ToolResult => ({ isError: true, content: [{ type: 'text', text: e.message }] }),
  );
  const d = dataOf(r);
  if (r.isError || !d) {
    s.error = errorText(r);
    s.running = false;
  } else {
    append(arr<Rec>(d.records));
    s.durationMs = undefined; // the call's own duration; a followed process has none to show
    s.offset = num(d.nextOffset) ?? s.offset;
    s.running = d.running === true;
    s.status = str(d.status);
    s.exitCode = (d.exitCode as number | null) ?? null;
    s.signal = (d.signal as string | null) ?? null;
    s.ports = arr(d.ports);
    s.merged ||= d.stderrMerged === true;
  }
  draw();
  if (s.running) timer = setTimeout(() => void poll(), POLL_MS);
}

async function stop(button: HTMLButtonElement): Promise<void> {
  if (!state) return;
  button.disabled = true;
  const r = await callTool('process_kill', { id: state.id });
  if (r.isError) state.error = errorText(r);
  clearTimeout(timer);
  await poll();
}

async function preview(port: number, url: string): Promise<void> {
  if (!state?.container) return openLink(url);
  const r = await callTool('preview_open', { container: state.container, port });
  const link = str(dataOf(r)?.url);
  if (r.isError || !link) {
    state.error = errorText(r);
    draw();
  } else await openLink(link);
}

start('command', {
  onInput: (args) => {
    if (state) return;
    render(
      h('header', {}, h('span', { class: 'title mono' }, `$ ${commandText(args)}`), pill('running', 'run')),
      h('pre', { class: 'out' }, h('span', { class: 'muted' }, 'waiting for the command to finish…')),
    );
  },
  onResult: (result, args) => {
    clearTimeout(timer);
    const d = dataOf(result) ?? {};
    const records: Rec[] = arr<Rec>(d.records);
    if (!records.length) {
      if (str(d.stdout)) records.push({ stream: 'stdout', text: str(d.stdout) });
      if (str(d.stderr)) records.push({ stream: 'stderr', text: str(d.stderr) });
    }
    state = {
      command: commandText(args),
      container: str(args.container),
      id: str(d.processId) || str(args.id),
      running: d.running === true,
      status: str(d.status),
      exitCode: (d.exitCode as number | null) ?? null,
      signal: (d.signal as string | null) ?? null,
      durationMs: num(d.durationMs),
      timedOut: d.timedOut === true,
      truncated: d.truncated === true,
      merged: d.stderrMerged === true,
      records,
      offset: num(d.nextOffset) ?? 0,
      ports: arr(d.ports),
      error: result.isError ? errorText(result) : undefined,
    };
    draw();
    if (state.running) timer = setTimeout(() => void poll(), POLL_MS);
  },
});
