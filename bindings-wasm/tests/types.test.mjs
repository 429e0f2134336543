// The .d.ts shipped in the package type-checks a usage sample with tsc --noEmit, and rejects a misuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageDir, root } from './koko.mjs';

const wasmDir = path.join(root, 'bindings-wasm');
const tsc = path.join(wasmDir, 'node_modules/typescript/bin/tsc');

function check(files) {
  return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'esnext,dom', '--module', 'esnext',
    '--moduleResolution', 'bundler', ...files], { cwd: wasmDir, encoding: 'utf8' });
}

test('the usage sample type-checks', () => {
  const result = check([path.join(wasmDir, 'tests/usage.ts')]);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('a misuse is a type error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'koko-ts-'));
  const bad = path.join(dir, 'bad.ts');
  const pkg = path.join(packageDir, 'koko_wasm.js').replaceAll('\\', '/');
  writeFileSync(bad, [
    `import { PricePlan } from ${JSON.stringify(pkg)};`,
    `const total: number = PricePlan.story3().quoteDays("novel", 2).total;`,
    `PricePlan.story3().quote("novel", 42, "2024-06-01T00:00:00Z");`,
    `const due: string = PricePlan.story3().dueAt("novel", "2024-06-01T00:00:00Z");`,
    `console.log(total);`,
  ].join('\n'));
  const result = check([bad]);
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /Type 'string' is not assignable to type 'number'/);
  assert.match(result.stdout, /not assignable to parameter of type 'Instant'/);
  assert.match(result.stdout, /Type 'string \| null' is not assignable to type 'string'/);
});
