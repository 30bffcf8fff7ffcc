import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { DiscoClient } from '../client.js';
import { clientFor } from '../context.js';
import type { Output } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/** Opens `url` in the user's browser when the platform has an opener; never fails when it has none. */
export function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? undefined : 'xdg-open';
  if (!opener) return;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {}); // no xdg-open (a server, a container): the printed URL is enough
    child.unref();
  } catch {
    // same
  }
}

export async function openWorkbench(
  client: DiscoClient,
  out: Output,
  ref: string,
  browser: boolean,
  opener: (url: string) => void = openInBrowser,
) {
  const link = await client.call('workbench_open', { container: ref });
  out.result(link, () =>
    [
      `workbench of ${ref}: ${link.url}`,
      `(the link attaches the page until ${link.expiresAt}${link.attached ? '; a page is attached now and a second one is refused' : ''})`,
    ].join('\n'),
  );
  if (browser) opener(link.url);
}

export function registerOpen(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('open <container>')
      .description("open a webcontainer container's workbench page (its terminal and preview) in your browser"),
  )
    .option('--no-browser', 'only print the URL')
    .action((ref: string, opts) => openWorkbench(clientFor(deps.cliEnv()), outputFor(deps, opts), ref, opts.browser));
}
