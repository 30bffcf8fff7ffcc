// Splits op files written in one piece (`export const x = defineOp({ …contract…, run, summary, binary })`)
// into a contract module `src/contracts/<file>.ts` (zod only) and the handler module left in
// `src/daemon/ops/<file>.ts` (`export const x = implement(contract.x, { run, summary, binary })`).
// Run once per op file that still uses defineOp (e.g. after merging a branch that added or edited ops):
//   node scripts/split-contracts.mjs [src/daemon/ops/<file>.ts …]   (no argument: every op file)
// then `npx biome check --write src/contracts src/daemon/ops` and `npx tsc -p tsconfig.json --noEmit`.
// An op file that already has a contract module is merged into it: new contracts are appended.
// Top-level declarations the contracts use move with them (exported; the handler file imports what it
// needs). Imports of daemon code a contract would need are mapped by DAEMON_TO_CONTRACT below; any other
// is written as it is and reported, and `npm run lint:imports` fails on it until it is moved by hand.
// Kept out of the package (scripts/ is not in "files").
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../', import.meta.url));
const opsDir = path.join(root, 'src/daemon/ops');
const contractsDir = path.join(root, 'src/contracts');

/** Names a contract takes from daemon modules, and the contract module that now holds each. */
const DAEMON_TO_CONTRACT = {
  TEMPLATE_NAMES: './vocabulary.js',
  NETWORK_MODES: './vocabulary.js',
  LANGUAGES: './vocabulary.js',
  SESSION_NAME: './vocabulary.js',
  DEFAULT_BUDGET: './vocabulary.js',
  MAX_BUDGET: './vocabulary.js',
  ComputerAction: './computer.js',
  SCOPES: './contract.js',
  ANNOTATIONS: './contract.js',
  AREAS: './contract.js',
};
const HANDLER_KEYS = new Set(['run', 'summary', 'binary']);

/** Identifiers a node refers to (property names and declared member names excluded). */
function refs(node, out = new Set()) {
  const visit = (n) => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      const isName =
        p &&
        ((ts.isPropertyAccessExpression(p) && p.name === n) ||
          ((ts.isPropertyAssignment(p) ||
            ts.isMethodDeclaration(p) ||
            ts.isPropertySignature(p) ||
            ts.isPropertyDeclaration(p)) &&
            p.name === n) ||
          (ts.isQualifiedName(p) && p.right === n));
      if (!isName) out.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function declaredNames(stmt) {
  if (ts.isVariableStatement(stmt))
    return stmt.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  if (
    (ts.isFunctionDeclaration(stmt) ||
      ts.isInterfaceDeclaration(stmt) ||
      ts.isTypeAliasDeclaration(stmt) ||
      ts.isClassDeclaration(stmt) ||
      ts.isEnumDeclaration(stmt)) &&
    stmt.name
  )
    return [stmt.name.text];
  return [];
}

const isExported = (stmt) => (ts.getModifiers?.(stmt) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** `export const x = defineOp({...})`: [name, object literal] or undefined. */
function opOf(stmt) {
  if (!ts.isVariableStatement(stmt) || stmt.declarationList.declarations.length !== 1) return undefined;
  const d = stmt.declarationList.declarations[0];
  const init = d.initializer;
  if (!init || !ts.isCallExpression(init) || init.expression.getText() !== 'defineOp') return undefined;
  const arg = init.arguments[0];
  if (!arg || !ts.isObjectLiteralExpression(arg)) return undefined;
  return { name: d.name.getText(), obj: arg };
}

const propName = (p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined);
const objText = (props) => `{${props.map((p) => p.getFullText()).join(',')},\n}`;

function importsFor(imports, used, rewrite) {
  const out = [];
  for (const imp of imports) {
    const clause = imp.importClause;
    const from = imp.moduleSpecifier.text;
    if (!clause) continue;
    if (clause.namedBindings && ts.isNamespaceImport(clause.namedBindings)) {
      if (used.has(clause.namedBindings.name.text)) out.push(rewrite(from, null, imp.getText()));
      continue;
    }
    const named = clause.namedBindings?.elements ?? [];
    const keep = named.filter((e) => used.has(e.name.text));
    const def = clause.name && used.has(clause.name.text) ? clause.name.text : undefined;
    if (!keep.length && !def) continue;
    for (const e of keep) {
      const spec = `${clause.isTypeOnly || e.isTypeOnly ? 'type ' : ''}${e.getText().replace(/^type /, '')}`;
      out.push(rewrite(from, e.name.text, `import { ${spec} } from '${from}';`));
    }
    if (def) out.push(`import ${def} from '${from}';`);
  }
  return out.filter(Boolean);
}

function split(file) {
  const base = path.basename(file, '.ts');
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const stmts = [...sf.statements];
  const imports = stmts.filter(ts.isImportDeclaration);
  const body = stmts.filter((s) => !ts.isImportDeclaration(s));
  const ops = new Map(body.flatMap((s) => (opOf(s) ? [[s, opOf(s)]] : [])));
  if (!ops.size) return false;

  // Which top-level declarations the contracts need (closure over references).
  const declOf = new Map();
  for (const s of body) for (const n of declaredNames(s)) if (!ops.has(s)) declOf.set(n, s);
  const contractSide = new Set();
  const contractRefs = new Set();
  const pending = [];
  for (const { obj } of ops.values())
    for (const p of obj.properties) if (!HANDLER_KEYS.has(propName(p))) pending.push(p);
  while (pending.length) {
    for (const r of refs(pending.pop())) {
      contractRefs.add(r);
      const d = declOf.get(r);
      if (d && !contractSide.has(d)) {
        contractSide.add(d);
        pending.push(d);
      }
    }
  }
  const movedNames = new Set([...contractSide].flatMap(declaredNames));

  // The contract module.
  const problems = [];
  const contractImports = importsFor(imports, contractRefs, (from, name, line) => {
    if (from === 'zod') return line;
    if (from === './op.js') return line.replace(`'./op.js'`, `'./contract.js'`).replace('defineOp', 'defineContract');
    if (from.startsWith('./')) return line; // a sibling: its contract module (schemas, budget, browser-common…)
    if (name && DAEMON_TO_CONTRACT[name]) return line.replace(`'${from}'`, `'${DAEMON_TO_CONTRACT[name]}'`);
    problems.push(`${base}: contract needs ${name ?? line} from ${from}`);
    return line;
  });
  if (![...contractImports].some((l) => l.includes('defineContract')))
    contractImports.push(`import { defineContract } from './contract.js';`);
  const contractBody = body
    .filter((s) => contractSide.has(s) || ops.has(s))
    .map((s) => {
      const op = ops.get(s);
      if (op) {
        const props = op.obj.properties.filter((p) => !HANDLER_KEYS.has(propName(p)));
        const lead = s.getFullText().slice(0, s.getFullText().length - s.getText().length);
        return `${lead}export const ${op.name} = defineContract(${objText(props)});`;
      }
      return isExported(s) ? s.getFullText() : s.getFullText().replace(s.getText(), `export ${s.getText()}`);
    });
  const contractFile = path.join(contractsDir, `${base}.ts`);
  const existing = existsSync(contractFile) ? readFileSync(contractFile, 'utf8') : '';
  const contractText = existing
    ? `${existing.trimEnd()}\n${contractImports.join('\n')}\n${contractBody.join('\n')}\n`
    : `${contractImports.join('\n')}\n${contractBody.join('\n')}\n`;

  // The handler module.
  const handlerRefs = new Set();
  const handlerBody = [];
  for (const s of body) {
    if (contractSide.has(s)) continue;
    const op = ops.get(s);
    if (op) {
      const props = op.obj.properties.filter((p) => HANDLER_KEYS.has(propName(p)));
      for (const p of props) refs(p, handlerRefs);
      handlerBody.push(`\n\nexport const ${op.name} = implement(contract.${op.name}, ${objText(props)});`);
    } else {
      refs(s, handlerRefs);
      handlerBody.push(s.getFullText());
    }
  }
  handlerRefs.add('implement');
  const handlerImports = importsFor(imports, handlerRefs, (from, name, line) => {
    if (from === './op.js' && name === 'defineOp') return '';
    return line;
  });
  handlerImports.push(`import { implement } from './op.js';`);
  const rel = `../../contracts/${base}.js`;
  handlerImports.push(`import * as contract from '${rel}';`);
  const fromContract = [...movedNames].filter((n) => handlerRefs.has(n));
  if (fromContract.length) handlerImports.push(`import { ${fromContract.join(', ')} } from '${rel}';`);
  const reexport = [...contractSide].filter(isExported).flatMap(declaredNames);
  if (reexport.length) handlerImports.push(`export { ${reexport.join(', ')} } from '${rel}';`);
  writeFileSync(contractFile, contractText);
  writeFileSync(file, `${handlerImports.join('\n')}\n${handlerBody.join('\n')}\n`);
  for (const p of problems) process.stderr.write(`split-contracts: ${p}\n`);
  process.stdout.write(
    `split-contracts: ${path.relative(root, file)} → ${ops.size} contract(s) in ${path.relative(root, contractFile)}\n`,
  );
  return true;
}

const files = process.argv.slice(2).length
  ? process.argv.slice(2).map((f) => path.resolve(f))
  : readdirSync(opsDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(opsDir, f));
for (const f of files) if (readFileSync(f, 'utf8').includes('defineOp(')) split(f);
