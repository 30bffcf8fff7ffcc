#!/usr/bin/env node
import { run } from '../dist/cli/main.js';

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`disco: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
