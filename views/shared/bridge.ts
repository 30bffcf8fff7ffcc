/**
 * The view's side of MCP Apps (`ui/*` JSON-RPC over postMessage with the host), written out by hand: the SDK's
 * `App` class bundles the MCP SDK and zod (~500 KB), this is ~2 KB. ChatGPT's older `window.openai` globals
 * are read as a fallback for the first result.
 */

export type Json = Record<string, unknown>;
export interface ToolResult {
  structuredContent?: Json;
  content?: { type: string; text?: string; data?: string; mimeType?: string }[];
  isError?: boolean;
}
export interface HostContext {
  theme?: 'light' | 'dark';
  styles?: { variables?: Record<string, string | undefined> };
}
interface OpenAiGlobals {
  toolInput?: Json;
  toolOutput?: Json;
  theme?: 'light' | 'dark';
  callTool?: (name: string, args: Json) => Promise<ToolResult>;
  openExternal?: (o: { href: string }) => void;
}

const PROTOCOL_VERSION = '2026-01-26';
let nextId = 1;
/** True once the MCP Apps handshake is done; before that (or without a host bridge) window.openai is used. */
let connected = false;
/** The view's own tool calls in flight: a host may echo them as tool-result notifications, which are not ours. */
let ownCalls = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const openai = (): OpenAiGlobals | undefined => (window as unknown as { openai?: OpenAiGlobals }).openai;

function post(message: Json): void {
  window.parent.postMessage({ jsonrpc: '2.0', ...message }, '*');
}

function request(method: string, params: Json): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post({ id, method, params });
  });
}

/** Applies the host's theme and its CSS variables (palette, fonts) to the document. */
export function applyContext(ctx: HostContext | undefined): void {
  if (!ctx) return;
  const root = document.documentElement;
  if (ctx.theme) root.dataset.theme = ctx.theme;
  for (const [k, v] of Object.entries(ctx.styles?.variables ?? {}))
    if (v && k.startsWith('--')) root.style.setProperty(k, v);
}

export interface View {
  /** Called with each tool result the host sends (and the tool's arguments when known). */
  onResult: (result: ToolResult, args: Json) => void;
  /** Called with the tool's arguments, which hosts send while the tool still runs. */
  onInput?: (args: Json) => void;
}

/** Calls a server tool through the host (an app-only helper or a regular tool). */
export async function callTool(name: string, args: Json): Promise<ToolResult> {
  const o = openai();
  if (!connected && o?.callTool) return o.callTool(name, args);
  ownCalls++;
  try {
    return (await request('tools/call', { name, arguments: args })) as ToolResult;
  } finally {
    ownCalls--;
  }
}

/** Asks the host to open a link (views cannot navigate themselves). */
export async function openLink(url: string): Promise<void> {
  const o = openai();
  if (!connected && o?.openExternal) return o.openExternal({ href: url });
  await request('ui/open-link', { url });
}

/** The structured result, or the JSON of the first text block (hosts that drop structuredContent). */
export function dataOf(result: ToolResult): Json | undefined {
  if (result.structuredContent) return result.structuredContent;
  const text = result.content?.find((c) => c.type === 'text')?.text;
  try {
    return text ? (JSON.parse(text) as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Connects to the host and hands every tool result to the view. */
export function start(name: string, view: View): void {
  let args: Json = {};
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== window.parent) return;
    const m = event.data as Json & { id?: number; method?: string; params?: Json; error?: { message?: string } };
    if (m?.jsonrpc !== '2.0') return;
    if (m.method === undefined && typeof m.id === 'number') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message ?? 'request failed'));
      else p?.resolve(m.result);
      return;
    }
    if (m.method === 'ui/notifications/tool-input' && ownCalls === 0) {
      args = (m.params?.arguments as Json) ?? {};
      view.onInput?.(args);
    } else if (m.method === 'ui/notifications/tool-result' && ownCalls === 0)
      view.onResult(m.params as ToolResult, args);
    else if (m.method === 'ui/notifications/host-context-changed') applyContext(m.params as HostContext);
    else if (m.id !== undefined && m.method) post({ id: m.id, result: {} }); // ping, ui/resource-teardown
  });
  const o = openai();
  if (o?.theme) applyContext({ theme: o.theme });
  if (o?.toolOutput) view.onResult({ structuredContent: o.toolOutput }, o.toolInput ?? {});
  request('ui/initialize', {
    appInfo: { name: `disco-${name}`, version: '1' },
    appCapabilities: {},
    protocolVersion: PROTOCOL_VERSION,
  })
    .then((result) => {
      connected = true;
      applyContext((result as { hostContext?: HostContext }).hostContext);
      post({ method: 'ui/notifications/initialized', params: {} });
      reportSize();
    })
    .catch(() => {});
}

/** Tells the host the height the view needs, now and whenever it changes. */
function reportSize(): void {
  let last = 0;
  const send = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    post({ method: 'ui/notifications/size-changed', params: { height } });
  };
  new ResizeObserver(send).observe(document.body);
  send();
}
