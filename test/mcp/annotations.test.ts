import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHarness, type McpHarness } from '../helpers/mcp.js';

/**
 * Every tool's annotations, stated one by one: what a client (and the person approving a call) is told a
 * tool can cause. R = readOnlyHint, D = destructiveHint, I = idempotentHint, O = openWorldHint. A new tool,
 * or a changed hint, must be added here on purpose.
 */
const R = 'R';
const D = 'D';
const I = 'I';
const O = 'O';
type Hint = typeof R | typeof D | typeof I | typeof O;
const TABLE: Record<string, Hint[]> = {
  // who am I, tokens, password
  auth_me: [R, I],
  token_create: [],
  token_list: [R, I],
  token_revoke: [D, I],
  password_change: [D, I], // ends the user's other sessions
  // administration
  user_list: [R, I],
  user_create: [],
  user_revoke_tokens: [D, I],
  audit_list: [R, I],
  // ChatGPT's search and fetch, RAG
  search: [R, I],
  fetch: [R, I],
  rag_index: [I],
  rag_search: [R, I],
  // containers
  container_create: [],
  container_list: [R, I],
  container_get: [R, I],
  container_update: [I],
  container_stop: [D, I], // ends its processes and terminals
  container_delete: [D, I],
  container_templates: [R, I],
  // files
  file_list: [R, I],
  file_read: [R, I],
  file_search: [R, I],
  file_write: [D, I], // overwrites
  file_delete: [D],
  file_unpack: [D, I], // replaces files it carries
  file_pack: [R, I],
  file_move: [D],
  // commands: anything a shell can do, the network included (when the container has it)
  exec: [D, O],
  process_input: [D, O], // writes to a running program's stdin, often a shell
  process_kill: [D, I],
  process_list: [R, I],
  process_output: [R, I],
  terminal_list: [R, I],
  terminal_history: [R, I],
  terminal_close: [D, I],
  // git
  git_status: [R, I],
  git_diff: [R, I],
  git_log: [R, I],
  git_init: [I], // an existing repository is left as it is
  git_commit: [],
  git_branch: [],
  git_checkout: [D], // discards changes to the files it checks out
  git_clone: [O],
  git_push: [O],
  git_pull: [O],

  ports_list: [R, I],
  preview_open: [], // a single-use link for the caller
  workbench_open: [], // a short-lived attach link for the caller
  preview_share_create: [], // a link anyone holding it may use until it expires or is revoked
  preview_share_list: [R, I],
  preview_share_revoke: [D],
  // computer use: the container's browser acts on pages (which may submit forms) and reaches the network
  browser_navigate: [O],
  browser_click: [O],
  browser_type: [O],
  browser_press: [O],
  browser_select: [O],
  browser_hover: [O],
  browser_scroll: [O],
  computer_action: [O],
  browser_wait_for: [O], // the page keeps running (and fetching) while it waits
  browser_snapshot: [R, I],
  browser_screenshot: [R, I],
  browser_screenshot_get: [R, I],
  browser_console: [R, I],
  browser_network: [R, I],
  browser_close: [D, I],
};

describe('tool annotations', () => {
  let h: McpHarness;
  beforeAll(async () => {
    h = await httpHarness();
  });
  afterAll(() => h.close());

  it('state what each tool can cause, tool by tool', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TABLE).sort());
    for (const tool of tools) {
      const hints = TABLE[tool.name] as Hint[];
      expect(tool.annotations, tool.name).toEqual({
        title: tool.title,
        readOnlyHint: hints.includes(R),
        destructiveHint: hints.includes(D),
        idempotentHint: hints.includes(I),
        openWorldHint: hints.includes(O),
      });
    }
  });

  it('never calls a tool read-only that can also destroy or reach the world', () => {
    for (const [name, hints] of Object.entries(TABLE)) {
      if (hints.includes(R)) expect([name, hints.includes(D) || hints.includes(O)]).toEqual([name, false]);
    }
  });
});
