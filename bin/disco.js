#!/usr/bin/env node
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // Perf: the version needs nothing but package.json, so it loads nothing else (as fast as Node starts).
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${version}\n`);
  process.exit(0);
}

// Perf: the bundle (dist/bundle, scripts/build-bundle.mjs) loads a few files where dist/cli would load dozens.
const { run } = await import('../dist/bundle/cli.js');

/**
 * A command is over when run() settles (serve, mcp, shell and `logs -f` settle only when they are done).
 * Exit then, once stdout and stderr are flushed: a native call left hanging (a wedged OS keychain probe)
 * must not keep a finished command alive.
 */
function finish(code) {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

run(process.argv).then(finish, (err) => {
  process.stderr.write(`disco: ${err instanceof Error ? err.message : String(err)}\n`);
  finish(1);
});
