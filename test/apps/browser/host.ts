/**
 * A minimal MCP Apps host page for tests, on the ext-apps SDK's host side (AppBridge): mounts one view in a
 * sandboxed iframe under a CSP that allows nothing but inline code, hands it a tool's input and result, and
 * forwards the tool calls and link openings it makes to functions the test exposes (a real MCP client).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

interface Mount {
  html: string;
  toolName: string;
  toolInput: Record<string, unknown>;
  /** null: only the input now (the tool still runs); the result later with sendResult. */
  toolResult: CallToolResult | null;
  theme: 'light' | 'dark';
}

declare global {
  interface Window {
    hostCallTool: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
    hostOpenLink: (url: string) => Promise<void>;
    mountView: (m: Mount) => Promise<void>;
    setTheme: (theme: 'light' | 'dark') => Promise<void>;
    sendResult: (result: CallToolResult) => Promise<void>;
    viewHeight: number;
  }
}

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
let bridge: AppBridge | undefined;

window.mountView = async (m: Mount) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'width:720px;height:600px;border:0';
  document.body.replaceChildren(iframe);
  const contentWindow = iframe.contentWindow as Window;
  bridge = new AppBridge(
    null,
    { name: 'disco-test-host', version: '1.0.0' },
    { openLinks: {}, serverTools: {}, logging: {} },
    {
      hostContext: {
        theme: m.theme,
        displayMode: 'inline',
        toolInfo: { tool: { name: m.toolName, inputSchema: { type: 'object' } } },
      },
    },
  );
  bridge.oncalltool = (params) => window.hostCallTool(params.name, params.arguments ?? {});
  bridge.onopenlink = async ({ url }) => {
    await window.hostOpenLink(url);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) window.viewHeight = height;
  };
  const initialized = new Promise<void>((resolve) => {
    if (bridge) bridge.oninitialized = () => resolve();
  });
  await bridge.connect(new PostMessageTransport(contentWindow, contentWindow));
  iframe.srcdoc = m.html.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${CSP}">`);
  await initialized;
  await bridge.sendToolInput({ arguments: m.toolInput });
  if (m.toolResult) await bridge.sendToolResult(m.toolResult);
};

window.sendResult = async (result) => {
  await bridge?.sendToolResult(result);
};

window.setTheme = async (theme) => {
  await bridge?.sendHostContextChange({ theme });
};
