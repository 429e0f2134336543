// The package as a user gets it: `npm pack` of target/koko-wasm/pkg, the tarball installed into a fresh project
// (offline, with an empty npm cache: it has no dependencies), then used from `require`, from `import`, from
// TypeScript, and from a page bundled by esbuild in headless Chromium — and its .wasm within the gzip budget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { packageDir, root } from './koko.mjs';
import { openPage, serveDirectory } from './quote_page.mjs';

// The budget of koko_wasm_bg.wasm, gzipped at level 9 by node's zlib (what a server sends with gzip): 200 KB.
// It was 263 KB when two thirds of the .wasm was chrono-tz's time-zone data; koko-core's compact table of the same
// data (core/src/pricing/time_zone) brought it to ~160 KB.
const GZIP_BUDGET = 200_000;
const tsc = path.join(root, 'bindings-wasm/node_modules/typescript/bin/tsc');

let work;
let project;
let packed;

function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function write(file, lines) {
  mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  writeFileSync(path.join(project, file), lines.join('\n') + '\n');
}

before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'koko-wasm-package-'));
  // An empty cache, and no registry needed: npm installs a tarball without dependencies from the file alone.
  const env = { ...process.env, npm_config_cache: path.join(work, 'npm-cache'), npm_config_audit: 'false',
    npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], packageDir, env));
  project = path.join(work, 'project');
  write('package.json', [JSON.stringify({ name: 'koko-wasm-consumer', version: '1.0.0', private: true })]);
  run('npm', ['install', '--offline', path.join(work, packed.filename)], project, env);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the package and nothing else, with its licence and repository', () => {
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [
    'LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'koko_wasm.cjs', 'koko_wasm.d.cts', 'koko_wasm.d.ts', 'koko_wasm.js',
    'koko_wasm.node.js', 'koko_wasm_bg.wasm', 'package.json',
  ]);
  const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules/koko-wasm/package.json'), 'utf8'));
  assert.equal(manifest.name, 'koko-wasm');
  assert.equal(manifest.license, 'MIT OR Apache-2.0');
  assert.equal(manifest.repository.type, 'git');
  assert.equal(manifest.repository.directory, 'bindings-wasm');
  assert.equal(manifest.sideEffects, false);
  assert.deepEqual(Object.keys(manifest.exports['.']), ['node', 'browser', 'import', 'default']);
  for (const file of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    assert.equal(readFileSync(path.join(project, 'node_modules/koko-wasm', file), 'utf8'),
      readFileSync(path.join(root, file), 'utf8'));
  }
});

test('require("koko-wasm") gets the CommonJS entry and quotes', () => {
  write('use.cjs', [
    "const koko = require('koko-wasm');",
    "const plan = koko.PricePlan.story3();",
    "console.log(JSON.stringify({ entry: require.resolve('koko-wasm'), novel: plan.quoteDays('novel', 2).total,",
    "  regular: plan.quote('regular', new Date('2024-06-01T10:00:00Z'), '2024-06-04T10:00:00Z').total, version: koko.version() }));",
  ]);
  const out = JSON.parse(run(process.execPath, ['use.cjs'], project));
  assert.equal(path.basename(out.entry), 'koko_wasm.cjs');
  assert.deepEqual([out.novel, out.regular], ['4.50', '3.50']);
  assert.equal(out.version, JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version);
});

test('import from "koko-wasm" in node gets the ES module entry, and browser-style init() works there too', () => {
  write('use.mjs', [
    "import init, { PricePlan, initSync } from 'koko-wasm';",
    "import * as koko from 'koko-wasm';",
    "const plan = PricePlan.story3();",
    "const before = plan.quoteDays('novel', 2).total;", // ready on import, before init()
    "await init();",
    "initSync();",
    "console.log(JSON.stringify({ entry: import.meta.resolve('koko-wasm'), before, novel: plan.quoteDays('novel', 2).total,",
    "  regular: plan.quote('regular', new Date('2024-06-01T10:00:00Z'), '2024-06-04T10:00:00Z').total,",
    "  exports: Object.keys(koko).sort() }));",
  ]);
  const out = JSON.parse(run(process.execPath, ['use.mjs'], project));
  assert.equal(path.basename(new URL(out.entry).pathname), 'koko_wasm.node.js');
  assert.deepEqual([out.before, out.novel, out.regular], ['4.50', '4.50', '3.50']);
  assert.deepEqual(out.exports, ['PricePlan', 'default', 'initSync', 'version']);
});

test('TypeScript resolves the types from the installed package: node ESM, node CommonJS and bundlers', () => {
  const misuse = [
    '// @ts-expect-error a total is a decimal string, never a number',
    'const wrong: number = plan.quoteDays("novel", 2).total;',
  ];
  write('ts/esm.mts', [
    'import init, { PricePlan, type Quote } from "koko-wasm";',
    'await init();',
    'const plan: PricePlan = PricePlan.story3();',
    'const quote: Quote = plan.quote("regular", new Date(), "2024-06-04T10:00:00Z");',
    ...misuse, 'export const shown: string = quote.total + String(wrong);',
  ]);
  write('ts/cjs.cts', [
    'import koko = require("koko-wasm");',
    'const plan: koko.PricePlan = koko.PricePlan.story3();',
    'const quote: koko.Quote = plan.quoteDays("novel", 2);',
    ...misuse, 'export const shown: string = quote.total + String(wrong);',
  ]);
  write('ts/web.ts', [
    'import init, { PricePlan } from "koko-wasm";',
    'import type { KokoError } from "koko-wasm";',
    'await init();',
    'const plan = PricePlan.story3();',
    ...misuse, 'export const field: string | undefined = ({} as KokoError).field + String(wrong);',
  ]);
  // lib esnext: the classes implement Symbol.dispose (TypeScript's esnext.disposable), as in tests/types.test.mjs.
  const common = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'esnext,dom', '--listFiles'];
  const node = run(process.execPath, [tsc, ...common, '--module', 'nodenext', '--moduleResolution', 'nodenext',
    'ts/esm.mts', 'ts/cjs.cts'], project);
  assert.match(node, /node_modules\/koko-wasm\/koko_wasm\.d\.ts$/m);
  assert.match(node, /node_modules\/koko-wasm\/koko_wasm\.d\.cts$/m);
  const bundler = run(process.execPath, [tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler',
    'ts/web.ts'], project);
  assert.match(bundler, /node_modules\/koko-wasm\/koko_wasm\.d\.ts$/m);
});

test('a page bundled by esbuild quotes in Chromium', async () => {
  write('page.js', [
    "import init, { PricePlan } from 'koko-wasm';",
    "import wasmUrl from 'koko-wasm/koko_wasm_bg.wasm';", // esbuild's file loader copies it next to the bundle
    'await init({ module_or_path: wasmUrl });',
    'const plan = PricePlan.story3();',
    "document.getElementById('novel').textContent = plan.quoteDays('novel', 2).total;",
    "document.getElementById('regular').textContent = plan.quote('regular', '2024-06-01T10:00:00Z', '2024-06-04T10:00:00Z').total;",
    "document.body.dataset.ready = 'true';",
  ]);
  const built = await esbuild.build({
    absWorkingDir: project, entryPoints: ['page.js'], bundle: true, format: 'esm', platform: 'browser',
    outdir: 'dist', loader: { '.wasm': 'file' }, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(built.metafile.inputs);
  assert.ok(inputs.includes('node_modules/koko-wasm/koko_wasm.js'), `the web entry is bundled: ${inputs}`);
  assert.ok(!inputs.some((i) => /koko_wasm\.(node\.js|cjs)$/.test(i)), `no node entry in the page: ${inputs}`);
  // The site is dist/: the bundle, the .wasm it names (a path relative to the page) and this page.
  write('dist/index.html', [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>koko-wasm bundled</title></head>',
    '<body><output id="novel"></output> <output id="regular"></output><script type="module" src="page.js"></script></body></html>',
  ]);
  const { origin, server } = await serveDirectory(path.join(project, 'dist'), '/index.html');
  let context;
  try {
    let page;
    ({ context, page } = await openPage(`${origin}/index.html`));
    assert.equal(await page.textContent('#novel'), '4.50');
    assert.equal(await page.textContent('#regular'), '3.50');
  } finally {
    await context?.close();
    server.kill();
  }
});

function gzippedWasm() {
  const wasm = readFileSync(path.join(project, 'node_modules/koko-wasm/koko_wasm_bg.wasm'));
  return { raw: wasm.length, gzipped: gzipSync(wasm, { level: 9 }).length };
}

test('koko_wasm_bg.wasm is within its gzip budget', (t) => {
  const { raw, gzipped } = gzippedWasm();
  t.diagnostic(`koko-wasm size: koko_wasm_bg.wasm ${raw} bytes raw, ${gzipped} bytes gzipped (zlib level 9), `
    + `budget ${GZIP_BUDGET}`);
  assert.ok(gzipped <= GZIP_BUDGET, `${gzipped} bytes gzipped, over the budget of ${GZIP_BUDGET}`);
});
