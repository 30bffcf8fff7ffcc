import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/check-imports.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Runs the import lint (part of `npm run lint`) on the repository, or on `<dir>/src`. */
function lint(dir?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...(dir ? [dir] : [])], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A tree of source files under `<dir>/src`. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'disco-import-lint-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, 'src', file)), { recursive: true });
    await writeFile(path.join(dir, 'src', file), text);
  }
  return dir;
}

describe('the import lint (scripts/check-imports.mjs)', () => {
  it('passes on the repository', async () => {
    const r = await lint();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ modules, 0 problem\(s\)/);
  });

  it('fails on an import cycle, and not on one closed only by a type import or await import()', async () => {
    const cyclic = await tree({
      'a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const r = await lint(cyclic);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('import cycle: src/a.ts ↔ src/b.ts');
    const fine = await tree({
      'a.ts': "import type { B } from './b.js';\nexport type A = B;\nexport const a = 1;\n",
      'b.ts': "import { a } from './a.js';\nexport type B = number;\nexport const b = a;\n",
      'c.ts': "export const c = async () => (await import('./d.js')).d;\n",
      'd.ts': "import { c } from './c.js';\nexport const d = c;\n",
    });
    expect(await lint(fine)).toMatchObject({ code: 0 });
  });

  it('fails when the CLI loads daemon code statically, or http reaches a service directly', async () => {
    const crossing = await tree({
      'daemon/main.ts': 'export const start = 1;\n',
      'daemon/workspace/files.ts': 'export const files = 1;\n',
      'cli/main.ts': "import { start } from '../daemon/main.js';\nexport const run = start;\n",
      'cli/serve.ts': "export const serve = async () => (await import('../daemon/main.js')).start;\n",
      'daemon/http/app.ts': "import { files } from '../workspace/files.js';\nexport const app = files;\n",
      'contracts/x.ts': "import express from 'express';\nexport const x = express;\n",
    });
    const r = await lint(crossing);
    expect(r.code).toBe(1);
    const problems = r.stderr.trim().split('\n').sort();
    expect(problems).toEqual([
      'check-imports: src/cli/main.ts imports src/daemon/main.ts: the CLI loads daemon code only on use (await import)',
      'check-imports: src/contracts/x.ts imports express: a contract imports only zod, other contracts and src/shared',
      'check-imports: src/daemon/http/app.ts imports src/daemon/workspace/files.ts: http and mcp reach services through ops, never directly',
    ]);
  });
});
