import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PURE_BANNED_CALLS, PURE_BANNED_MODULES, allows, ruleFor } from './folder-rules.ts';

const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface ImportEdge { spec: string; typeOnly: boolean; line: number }

/** Every static import/export-from and dynamic import() of a file, read with the TS parser. */
export function importsOf(file: string, text: string): { edges: ImportEdge[]; calls: Array<{ name: string; line: number }> } {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const calls: Array<{ name: string; line: number }> = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && c.namedBindings !== undefined &&
        ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      edges.push({ spec: n.moduleSpecifier.text, typeOnly, line: lineOf(n) });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
      edges.push({ spec: n.moduleSpecifier.text, typeOnly: n.isTypeOnly, line: lineOf(n) });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a !== undefined && ts.isStringLiteral(a)) edges.push({ spec: a.text, typeOnly: false, line: lineOf(n) });
    } else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
      calls.push({ name: `${n.expression.text}.${n.name.text}`, line: lineOf(n) });
    } else if (ts.isIdentifier(n) && !ts.isPropertyAccessExpression(n.parent)) {
      calls.push({ name: n.text, line: lineOf(n) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { edges, calls };
}

test('every import in src/ follows the folder table of DESIGN.md §2', () => {
  const violations: string[] = [];
  const files = sourceFiles(srcDir);
  assert.ok(files.length > 10, 'expected to read the source tree');
  for (const file of files) {
    const rel = relative(srcDir, file).split('\\').join('/');
    const rule = ruleFor(rel);
    if (rule === undefined) { violations.push(`${rel}: no folder rule covers this file`); continue; }
    const { edges, calls } = importsOf(file, readFileSync(file, 'utf8'));
    for (const e of edges) {
      if (rule.pure === true && PURE_BANNED_MODULES.includes(e.spec)) {
        violations.push(`${rel}:${e.line}: pure folder imports ${e.spec}`);
      }
      if (!e.spec.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(file), e.spec)).split('\\').join('/');
      if (target.startsWith('..')) { violations.push(`${rel}:${e.line}: imports outside src/ (${e.spec})`); continue; }
      if (allows([rule.folder], target) || allows(rule.mayImport, target)) continue;
      if (e.typeOnly && allows(rule.mayImportTypes ?? [], target)) continue;
      violations.push(`${rel}:${e.line}: ${rule.folder} may not import ${target}${e.typeOnly ? ' (type-only)' : ''}`);
    }
    if (rule.pure === true) {
      for (const c of calls) {
        if (PURE_BANNED_CALLS.includes(c.name)) violations.push(`${rel}:${c.line}: pure folder uses ${c.name}; inject Clock/Timers/Random`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the checker catches a forbidden edge and a forbidden global (it can fail)', () => {
  const { edges, calls } = importsOf('x.ts', "import { a } from '../../cluster/wire/x.ts';\nconst t = Date.now();\nsetTimeout(() => {}, 1);\n");
  assert.equal(edges[0]?.spec, '../../cluster/wire/x.ts');
  assert.ok(calls.some((c) => c.name === 'Date.now'));
  assert.ok(calls.some((c) => c.name === 'setTimeout'));
  const rule = ruleFor('sip/message/parser.ts');
  assert.equal(rule?.folder, 'sip/message');
  assert.equal(allows(rule?.mayImport ?? [], 'cluster/wire/x.ts'), false);
  assert.equal(ruleFor('cluster/node.ts')?.folder, 'cluster/node.ts');
  assert.equal(ruleFor('cluster/net/driver.ts')?.folder, 'cluster/net');
});
