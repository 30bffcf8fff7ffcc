import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import type { Output } from '../output.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

interface ActionLike {
  url: string;
  title: string;
  diff: string;
  events: { errors: number; recent: { kind: string; text: string; url?: string | undefined }[] };
}

/** An action's result for people: where the page is, what changed, what went wrong. */
function showAction(out: Output, r: ActionLike): void {
  out.result(r, () => {
    const errors = r.events.recent.map((e) => `! ${e.kind}: ${e.text}${e.url ? ` (${e.url})` : ''}`);
    return [`${r.title || '(untitled)'} — ${r.url}`, r.diff, ...errors].filter(Boolean).join('\n');
  });
}

/** `disco browser open|snapshot|click|type|press|screenshot|close <container> …` */
export function registerBrowser(program: Command, deps: CommandDeps): void {
  const client = () => clientFor(deps.cliEnv());
  const browser = program
    .command('browser')
    .description("drive the container's browser (Chromium inside its sandbox): open a page, read it, act by ref");
  const session = (cmd: Command) => withJson(cmd.option('-s, --session <name>', 'browser session', 'default'));

  session(
    browser.command('open <container> <url>').description('open a URL, a port (3000) or localhost:3000/path'),
  ).action(async (container: string, url: string, opts) => {
    const r = await client().call('browser_navigate', { container, session: opts.session, url });
    showAction(outputFor(deps, opts), r);
  });
  session(browser.command('snapshot <container>').description('the page as lines with refs (e12)'))
    .option('--diff', 'only what changed since the last snapshot')
    .option('--find <text>', 'only elements whose line contains text')
    .option('--budget <tokens>', 'most tokens to print', parseIntOption('--budget'))
    .action(async (container: string, opts) => {
      const r = await client().call('browser_snapshot', {
        container,
        session: opts.session,
        mode: opts.find ? 'find' : opts.diff ? 'diff' : 'full',
        ...(opts.find ? { find: opts.find as string } : {}),
        ...(opts.budget ? { budget: opts.budget as number } : {}),
      });
      outputFor(deps, opts).result(r, () => `${r.title || '(untitled)'} — ${r.url}\n${r.snapshot}`);
    });
  session(browser.command('click <container> <ref>').description('click the element of a ref'))
    .option('--double', 'double click')
    .action(async (container: string, ref: string, opts) => {
      const r = await client().call('browser_click', { container, session: opts.session, ref, double: !!opts.double });
      showAction(outputFor(deps, opts), r);
    });
  session(browser.command('type <container> <ref> <text>').description('fill a field (--keys: type key by key)'))
    .option('--keys', 'type key by key instead of filling')
    .option('--submit', 'press Enter after')
    .action(async (container: string, ref: string, text: string, opts) => {
      const r = await client().call('browser_type', {
        container,
        session: opts.session,
        ref,
        text,
        mode: opts.keys ? 'keys' : 'fill',
        submit: !!opts.submit,
      });
      showAction(outputFor(deps, opts), r);
    });
  session(browser.command('press <container> <keys>').description("press a key chord: Enter, 'Control+a'"))
    .option('--ref <ref>', 'on this element instead of the focused one')
    .action(async (container: string, keys: string, opts) => {
      const r = await client().call('browser_press', {
        container,
        session: opts.session,
        keys,
        ...(opts.ref ? { ref: opts.ref as string } : {}),
      });
      showAction(outputFor(deps, opts), r);
    });
  session(browser.command('screenshot <container>').description('a PNG of the page (-o file; else its size)'))
    .option('-o, --output <file>', 'write the image here')
    .option('--full-page', 'the whole page, not just the viewport')
    .option('--ref <ref>', 'only this element')
    .action(async (container: string, opts) => {
      const r = await client().call('browser_screenshot', {
        container,
        session: opts.session,
        fullPage: !!opts.fullPage,
        encoding: 'json',
        ...(opts.ref ? { ref: opts.ref as string } : {}),
      });
      if (opts.output && r.data) writeFileSync(opts.output as string, Buffer.from(r.data, 'base64'));
      const { data: _data, ...meta } = r;
      outputFor(deps, opts).result(
        meta,
        () => `${r.width}×${r.height} ${r.mimeType} (scale ${r.scale})${opts.output ? ` → ${opts.output}` : ''}`,
      );
    });
  session(browser.command('close <container>').description('close the session (its cookies are kept)')).action(
    async (container: string, opts) => {
      const r = await client().call('browser_close', { container, session: opts.session });
      outputFor(deps, opts).result(r, () => (r.closed ? 'closed' : 'no such session was open'));
    },
  );
}
