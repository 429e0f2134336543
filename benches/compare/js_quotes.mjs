#!/usr/bin/env node
// koko-wasm in node vs the same story-3 arithmetic in pure JS (exact BigInt cents: JS numbers are floats), side by
// side in one run. `--quick` is a smoke run. Both sides must agree on every total before timing.
//
//   node benches/compare/js_quotes.mjs [--quick] [--n 100000]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const koko = createRequire(import.meta.url)(path.join(root, 'target/koko-wasm/pkg/koko_wasm.cjs'));
const quick = process.argv.includes('--quick');
const nArg = process.argv.indexOf('--n');
const n = quick ? 2000 : nArg > 0 ? Number.parseInt(process.argv[nArg + 1], 10) : 100_000;

// Story 3 in cents, as BigInt.
function story3Cents(category, days) {
  const d = BigInt(Math.max(days, 1));
  if (category === 'regular') {
    const total = 100n * (d < 2n ? d : 2n) + 150n * (d > 2n ? d - 2n : 0n);
    return total > 200n ? total : 200n;
  }
  if (category === 'fiction') return 300n * d;
  if (category === 'novel') return 150n * d > 450n ? 150n * d : 450n;
  throw new Error(`unknown category ${category}`);
}
const asDecimal = (cents) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;

const kinds = ['regular', 'fiction', 'novel'];
const categories = Array.from({ length: n }, (_, i) => kinds[i % 3]);
const days = Array.from({ length: n }, (_, i) => i % 45);
const plan = koko.PricePlan.story3();
for (let i = 0; i < Math.min(n, 3000); i++) {
  const wasm = plan.quoteDays(categories[i], days[i]).total;
  const js = asDecimal(story3Cents(categories[i], days[i]));
  if (wasm !== js) throw new Error(`disagree on ${categories[i]} ${days[i]}: ${wasm} vs ${js}`);
  if (plan.totalForDays(categories[i], days[i]) !== js) throw new Error(`totalForDays disagrees on ${categories[i]} ${days[i]}`);
}

function bestOf(repeats, run) {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start));
  }
  return best;
}
const repeats = quick ? 1 : 5;
let sink = '';
const tJs = bestOf(repeats, () => { for (let i = 0; i < n; i++) sink = asDecimal(story3Cents(categories[i], days[i])); });
const tWasm = bestOf(repeats, () => { for (let i = 0; i < n; i++) sink = plan.quoteDays(categories[i], days[i]).total; });
const tTotal = bestOf(repeats, () => { for (let i = 0; i < n; i++) sink = plan.totalForDays(categories[i], days[i]); });
console.log(`story 3, ${n.toLocaleString('en')} quotes, best of ${repeats} (one run, side by side):`);
console.log(`  pure JS (BigInt cents)  ${(tJs / n).toFixed(0).padStart(6)} ns/quote   1.00x`);
console.log(`  koko-wasm quoteDays     ${(tWasm / n).toFixed(0).padStart(6)} ns/quote   ${(tJs / tWasm).toFixed(2)}x  (full quote with lines)`);
console.log(`  koko-wasm totalForDays  ${(tTotal / n).toFixed(0).padStart(6)} ns/quote   ${(tJs / tTotal).toFixed(2)}x  (total only)`);
if (quick) console.log('  (--quick: a smoke run; the figures mean nothing)');
void sink;
