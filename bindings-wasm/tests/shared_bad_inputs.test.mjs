// The shared bad-input table (core/tests/bad_input_table.json, also run from Rust and Python): every case marked
// for JS throws a real Error whose name is the expected kind, with a KOKO_ code, a message, a stack and the
// expected field — and the module, and the very plan the case used, keep answering afterwards. (bad_input.test.mjs
// holds the one bad input the table does not express: a BigInt.)
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
// Each op is given the resolved args and the plan named by `plan` (story3 when there is none).
const ops = {
  quote_days: (a, plan) => plan.quoteDays(a.category, a.days),
  total_for_days: (a, plan) => plan.totalForDays(a.category, a.days),
  price_curve: (a, plan) => plan.priceCurve(a.category, a.max_days),
  quote: (a, plan) => 'due_at' in a
    ? plan.quote(a.category, a.rented_at, a.returned_at, a.due_at)
    : plan.quote(a.category, a.rented_at, a.returned_at),
  due_at: (a, plan) => plan.dueAt(a.category, a.rented_at),
  plan_json: (a) => koko.PricePlan.fromJson(a.document),
};

test('the table has JS cases for every operation the package offers', () => {
  assert.ok(cases.length >= 148, `only ${cases.length} JS cases in the table: were some lost?`);
  for (const c of cases) assert.ok(c.op in ops, `no JS operation for ${c.op}`);
});

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    const args = resolve(c.args);
    const plan = planOf(args.plan);
    assert.throws(() => ops[c.op](args, plan), (err) => {
      assert.ok(err instanceof Error, `threw ${String(err)}, not an Error`);
      assert.equal(err.name, c.expect.kind, err.message);
      assert.match(err.code, /^KOKO_[A-Z_]+$/, err.message);
      if (c.expect.field !== undefined) assert.equal(err.field, c.expect.field, err.message);
      assert.ok(err.message.length > 0 && typeof err.stack === 'string');
      return true;
    });
    // The module, and the plan the case used, still work after the error.
    assert.equal(koko.PricePlan.story3().quoteDays('novel', 2).total, '4.50');
    const category = plan.categories[0];
    assert.deepEqual(plan.priceCurve(category, 3), planOf(args.plan).priceCurve(category, 3));
  });
}

test('after every bad input the module still answers', () => {
  assert.equal(koko.PricePlan.story3().quoteDays('novel', 2).total, '4.50');
});
