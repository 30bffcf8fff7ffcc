// The floor for a REST read on this machine: a bare express app that reads a file and answers JSON,
// with no auth, validation, containment or logging. Spawned by bench/run.mjs as a peer.
import { readFileSync } from 'node:fs';
import express from 'express';

const file = process.argv[2];
const app = express();
app.set('etag', false);
app.get('/read', (_req, res) => {
  res.json({ content: readFileSync(file, 'utf8') });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stderr.write(`Disco listening on http://127.0.0.1:${server.address().port}\n`);
});
