// Checks the import graph of src/ (the TypeScript compiler's parser, no type checking): it fails on an
// import cycle and on a crossing of the boundaries docs/architecture.md states. Part of `npm run lint`.
//   node scripts/check-imports.mjs          exit 1 with one line per problem
//   node scripts/check-imports.mjs <dir>    the same for <dir>/src (test/unit/import-lint.test.ts plants problems)
// A cycle counts static value imports only (`import type` is erased, `await import()` loads on use, so
// neither can make a module see another half-initialised).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = process.argv[2] ? path.resolve(process.argv[2]) : fileURLToPath(new URL('../', import.meta.url));
const src = path.join(root, 'src');
const rel = (f) => path.relative(root, f).split(path.sep).join('/');

/** Every import of one file: { spec, target (a src file or undefined), typeOnly, dynamic }. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const add = (spec, typeOnly, dynamic) => {
    let target;
    if (spec.startsWith('.')) {
      const abs = path.resolve(path.dirname(file), spec);
      target = abs.replace(/\.js$/, '.ts');
      if (!target.endsWith('.ts') && !target.endsWith('.cjs')) target = `${abs}.ts`;
    }
    out.push({ spec, target, typeOnly, dynamic });
  };
  const visit = (n) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      let typeOnly = false;
      if (ts.isImportDeclaration(n)) {
        const c = n.importClause;
        const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
        typeOnly =
          !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else {
        const named = n.exportClause && ts.isNamedExports(n.exportClause) ? n.exportClause.elements : undefined;
        typeOnly = n.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      }
      add(n.moduleSpecifier.text, typeOnly, false);
    } else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteralLike(n.arguments[0])
    ) {
      add(n.arguments[0].text, false, true);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      add(n.argument.literal.text, true, false);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
  .map((e) => path.join(e.parentPath, e.name));
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const problems = [];

// Boundaries (docs/architecture.md, "Boundaries").
const under = (f, dir) => rel(f).startsWith(`src/${dir}/`);
const DAEMON_SERVICES = [
  'containers',
  'workspace',
  'sandbox',
  'browser',
  'rag',
  'terminals',
  'egress',
  'preview',
  'db',
];
for (const [file, imports] of graph) {
  for (const i of imports) {
    const to = i.target ? rel(i.target) : i.spec;
    const where = `${rel(file)} imports ${to}`;
    if (under(file, 'contracts')) {
      const ok = i.spec === 'zod' || (i.target && (under(i.target, 'contracts') || under(i.target, 'shared')));
      if (!ok) problems.push(`${where}: a contract imports only zod, other contracts and src/shared`);
    }
    if (under(file, 'daemon/ops') && /^(express|@modelcontextprotocol\/sdk)(\/|$)/.test(i.spec))
      problems.push(`${where}: ops know services, never express or the MCP SDK`);
    if (
      (under(file, 'daemon/http') || under(file, 'mcp')) &&
      !i.typeOnly &&
      i.target &&
      DAEMON_SERVICES.some((d) => under(i.target, `daemon/${d}`))
    )
      problems.push(`${where}: http and mcp reach services through ops, never directly`);
    if (
      under(file, 'cli') &&
      !i.typeOnly &&
      !i.dynamic &&
      i.target &&
      (under(i.target, 'daemon') || under(i.target, 'mcp'))
    )
      problems.push(`${where}: the CLI loads daemon code only on use (await import)`);
  }
}

// Cycles among static value imports (Tarjan's strongly connected components).
const edges = new Map(
  [...graph].map(([f, imports]) => [
    f,
    [
      ...new Set(
        imports.filter((i) => !i.typeOnly && !i.dynamic && i.target && graph.has(i.target)).map((i) => i.target),
      ),
    ],
  ]),
);
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (edges.get(v) ?? []).includes(v))
      problems.push(`import cycle: ${scc.map(rel).sort().join(' ↔ ')}`);
  }
}
for (const f of edges.keys()) if (!idx.has(f)) strong(f);

for (const p of problems) process.stderr.write(`check-imports: ${p}\n`);
process.stdout.write(`check-imports: ${graph.size} modules, ${problems.length} problem(s)\n`);
process.exit(problems.length ? 1 : 0);
