#!/usr/bin/env node
import { run } from '../dist/cli/main.js';

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
