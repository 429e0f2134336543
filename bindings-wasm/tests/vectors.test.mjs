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
    if ('expect_due_at' in c) {
      // A due-date case: the exact string dueAt returns (RFC 3339, UTC, "Z"), or null.
      for (const key of ['returned_at', 'days', 'due_at', 'expect', 'expect_error']) assert.ok(!(key in c), key);
      assert.equal(planOf(c.plan).dueAt(c.category, c.rented_at), c.expect_due_at);
      return;
    }
    const run = () => {
      const plan = planOf(c.plan);
      if ('days' in c) return plan.quoteDays(c.category, c.days);
      return 'due_at' in c
        ? plan.quote(c.category, c.rented_at, c.returned_at, c.due_at)
        : plan.quote(c.category, c.rented_at, c.returned_at);
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
