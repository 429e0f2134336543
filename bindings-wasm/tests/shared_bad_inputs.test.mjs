// The shared bad-input table (core/tests/bad_input_table.json, also run from Rust and Python): every case marked
// for JS throws a real Error whose name is the expected kind and whose field is the expected field — and the
// module keeps answering afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { koko } from './koko.mjs';

const table = JSON.parse(readFileSync(new URL('../../core/tests/bad_input_table.json', import.meta.url), 'utf8'));
const cases = table.cases.filter((c) => c.runtimes.includes('js'));

// Tagged values: what each means in JavaScript.
function resolve(value) {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0].startsWith('$')) {
    const inner = value[keys[0]];
    switch (keys[0]) {
      case '$datetime': case '$naive': case '$date_only': return inner;
      case '$float': return Number(inner);
      case '$int': return Number(inner);
      case '$string_of': return inner[0].repeat(inner[1]);
      case '$json': return JSON.stringify(resolve(inner));
      case '$undefined': return undefined;
      case '$utf16': return String.fromCharCode(...inner);
      case '$js_date': return new Date(inner);
      case '$plan': return koko.PricePlan[inner]();
      default: throw new Error(`the table uses a tag this runner does not know: ${keys[0]}`);
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
}

const planOf = (name) => koko.PricePlan[name ?? 'story3']();
const ops = {
  quote_days: (a) => planOf(a.plan).quoteDays(a.category, a.days),
  total_for_days: (a) => planOf(a.plan).totalForDays(a.category, a.days),
  price_curve: (a) => planOf(a.plan).priceCurve(a.category, a.max_days),
  quote: (a) => 'due_at' in a
    ? planOf(a.plan).quote(a.category, a.rented_at, a.returned_at, a.due_at)
    : planOf(a.plan).quote(a.category, a.rented_at, a.returned_at),
  due_at: (a) => planOf(a.plan).dueAt(a.category, a.rented_at),
  plan_json: (a) => koko.PricePlan.fromJson(a.document),
};

test('the table has JS cases for every operation the package offers', () => {
  assert.ok(cases.length >= 90, `${cases.length} JS cases`);
  for (const c of cases) assert.ok(c.op in ops, `no JS operation for ${c.op}`);
});

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    const args = resolve(c.args);
    assert.throws(() => ops[c.op](args), (err) => {
      assert.ok(err instanceof Error, `threw ${String(err)}, not an Error`);
      assert.equal(err.name, c.expect.kind, err.message);
      if (c.expect.field !== undefined) assert.equal(err.field, c.expect.field, err.message);
      return true;
    });
  });
}

test('after every bad input the module still answers', () => {
  assert.equal(koko.PricePlan.story3().quoteDays('novel', 2).total, '4.50');
});
