// Every golden vector gives the same days, total and lines in JavaScript as in Rust and Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOf, vectorCases } from './koko.mjs';

const cases = vectorCases();

test('there are golden vectors', () => {
  assert.ok(cases.length >= 100, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.file}: ${c.name}`, () => {
    const run = () => {
      const plan = planOf(c.plan);
      return 'days' in c ? plan.quoteDays(c.category, c.days) : plan.quote(c.category, c.rented_at, c.returned_at);
    };
    if (c.expect_error) {
      assert.throws(run, (err) => {
        assert.ok(err instanceof Error);
        assert.equal(err.name, c.expect_error.kind);
        assert.equal(err.field, c.expect_error.field);
        return true;
      });
      return;
    }
    const quote = run();
    assert.deepEqual(quote, {
      days: c.expect.days,
      total: c.expect.total,
      currency: c.expect.currency,
      lines: c.expect.lines,
    });
    assert.equal(typeof quote.total, 'string');
    if ('days' in c) {
      // The totals-only path gives the same string.
      assert.equal(planOf(c.plan).totalForDays(c.category, c.days), c.expect.total);
    }
  });
}
