import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { referenceDocs } from '../../src/daemon/reference-docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');

function markdownFiles(): string[] {
  const docs = readdirSync(path.join(root, 'docs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  return ['README.md', 'SECURITY.md', ...docs];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2… */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = (m[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links `[text](target)` outside code, with the line they are on. */
function links(markdown: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = [];
  let fenced = false;
  markdown.split('\n').forEach((line, i) => {
    if (line.startsWith('```') || line.trimStart().startsWith('```')) fenced = !fenced;
    if (fenced) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ target, line: i + 1 });
    }
  });
  return out;
}

describe('documentation', () => {
  it('has the generated reference pages up to date (npm run gen:docs)', () => {
    for (const [file, content] of Object.entries(referenceDocs())) expect(read(file), file).toBe(content);
  });

  it('names every op of the registry in the ops reference', () => {
    const page = read('docs/reference/ops.md');
    for (const op of OPS) expect(page, op.name).toContain(`\`${op.name}\``);
  });

  it('has every relative link in README and docs/ resolve, anchors included', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      for (const { target, line } of links(read(file))) {
        const [rel, anchor] = target.split('#') as [string, string | undefined];
        const dest = rel === '' ? file : path.normalize(path.join(path.dirname(file), decodeURI(rel)));
        const abs = path.join(root, dest);
        if (!existsSync(abs)) broken.push(`${file}:${line} ${target} (no ${dest})`);
        else if (anchor && statSync(abs).isFile() && dest.endsWith('.md') && !anchors(read(dest)).has(anchor))
          broken.push(`${file}:${line} ${target} (no heading #${anchor} in ${dest})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has every MCP client snippet that starts `disco mcp` say where its state lives (--home)', () => {
    const launches: string[] = [];
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(/^\s*(\{ "mcpServers".*\})\s*$/gm)) {
        const config = JSON.parse(m[1] as string) as { mcpServers: Record<string, { args?: string[] }> };
        for (const [name, server] of Object.entries(config.mcpServers)) {
          const args = server.args ?? [];
          if (!args.includes('mcp')) continue;
          launches.push(`${file} ${name}`);
          expect(args.slice(args.indexOf('mcp')), `${file}: ${m[1]}`).toContain('--home');
        }
      }
    }
    expect(launches).toEqual(expect.arrayContaining(['README.md disco', 'docs/mcp.md disco']));
  });

  it('keeps README a quick start and a map: two set-up commands, at most 250 lines', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const start = readme.indexOf('## Quick start');
    const quick = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const commands = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
      (m[1] as string).split('\n').filter((l) => l.trim() !== ''),
    );
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  });
});
