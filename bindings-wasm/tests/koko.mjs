// Loads the built koko-wasm package (target/koko-wasm/pkg, by bindings-wasm/build.sh) through its CommonJS entry
// (koko_wasm.cjs, wasm-bindgen --target nodejs), and the golden vectors.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const packageDir = process.env.KOKO_WASM_PKG ?? path.join(root, 'target/koko-wasm/pkg');
export const koko = createRequire(import.meta.url)(path.join(packageDir, 'koko_wasm.cjs'));

export function vectorCases() {
  const dir = path.join(root, 'core/tests/vectors');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) =>
      JSON.parse(readFileSync(path.join(dir, name), 'utf8')).cases.map((c) => ({ file: name, ...c })),
    );
}

export function planOf(spec) {
  return typeof spec === 'string' ? koko.PricePlan[spec]() : koko.PricePlan.fromJson(JSON.stringify(spec));
}
