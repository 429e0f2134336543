// Bad input never aborts the module or leaves it unusable: each throws a real Error with the core variant as
// name, a KOKO_ code and the field at fault, and the module keeps answering afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { koko } from './koko.mjs';

const plan = koko.PricePlan.story3();
const at = '2024-06-01T10:00:00Z';

const cases = [
  ['negative days', () => plan.quoteDays('regular', -1), 'InvalidInput', 'days'],
  ['fractional days', () => plan.quoteDays('regular', 2.5), 'InvalidInput', 'days'],
  ['NaN days', () => plan.quoteDays('regular', NaN), 'InvalidInput', 'days'],
  ['Infinity days', () => plan.quoteDays('regular', Infinity), 'InvalidInput', 'days'],
  ['-Infinity days', () => plan.quoteDays('regular', -Infinity), 'InvalidInput', 'days'],
  ['days beyond u32', () => plan.quoteDays('regular', 2 ** 32), 'InvalidInput', 'days'],
  ['days as a string', () => plan.quoteDays('regular', '3'), 'InvalidInput', 'days'],
  ['days null', () => plan.quoteDays('regular', null), 'InvalidInput', 'days'],
  ['days undefined', () => plan.quoteDays('regular'), 'InvalidInput', 'days'],
  ['days BigInt', () => plan.quoteDays('regular', 3n), 'InvalidInput', 'days'],
  ['days object', () => plan.quoteDays('regular', {}), 'InvalidInput', 'days'],
  ['category number', () => plan.quoteDays(5, 1), 'InvalidInput', 'category'],
  ['total: NaN days', () => plan.totalForDays('regular', NaN), 'InvalidInput', 'days'],
  ['total: negative days', () => plan.totalForDays('regular', -1), 'InvalidInput', 'days'],
  ['total: unknown category', () => plan.totalForDays('poetry', 1), 'InvalidInput', 'category'],
  ['unknown category', () => plan.quoteDays('poetry', 1), 'InvalidInput', 'category'],
  ['invalid Date', () => plan.quote('regular', new Date('garbage'), at), 'InvalidInput', 'rented_at'],
  ['unparseable string', () => plan.quote('regular', 'next tuesday', at), 'InvalidInput', 'rented_at'],
  ['string without offset', () => plan.quote('regular', '2024-06-01T10:00:00', at), 'InvalidInput', 'rented_at'],
  ['timestamp number', () => plan.quote('regular', 0, at), 'InvalidInput', 'rented_at'],
  ['return before rent', () => plan.quote('regular', at, '2024-05-31T10:00:00Z'), 'InvalidInput', 'returned_at'],
  ['missing return', () => plan.quote('regular', at), 'InvalidInput', 'returned_at'],
  ['due date before rent', () => plan.quote('regular', at, '2024-06-03T10:00:00Z', '2024-05-31T10:00:00Z'), 'InvalidInput', 'due_at'],
  ['due date an invalid Date', () => plan.quote('regular', at, '2024-06-03T10:00:00Z', new Date('garbage')), 'InvalidInput', 'due_at'],
  ['due date without offset', () => plan.quote('regular', at, '2024-06-03T10:00:00Z', '2024-06-02T10:00:00'), 'InvalidInput', 'due_at'],
  ['due date a boolean', () => plan.quote('regular', at, '2024-06-03T10:00:00Z', false), 'InvalidInput', 'due_at'],
  ['dueAt: unknown category', () => plan.dueAt('poetry', at), 'InvalidInput', 'category'],
  ['dueAt: invalid Date', () => plan.dueAt('regular', new Date('garbage')), 'InvalidInput', 'rented_at'],
  ['dueAt: missing rentedAt', () => plan.dueAt('regular'), 'InvalidInput', 'rented_at'],
  ['curve too long', () => plan.priceCurve('regular', 1e6), 'InvalidInput', 'max_days'],
  ['curve negative', () => plan.priceCurve('regular', -3), 'InvalidInput', 'max_days'],
  ['malformed JSON', () => koko.PricePlan.fromJson('{'), 'InvalidPlan', '(document)'],
  ['JSON not a string', () => koko.PricePlan.fromJson(42), 'InvalidInput', 'document'],
  ['float rate', () => koko.PricePlan.fromJson('{"currency":"USD","default":{"tiers":[{"from_day":1,"rate":1.5}]}}'), 'InvalidPlan', 'default.tiers[0].rate'],
  ['unknown currency', () => koko.PricePlan.fromJson('{"currency":"ABC","default":{"tiers":[{"from_day":1,"rate":"1"}]}}'), 'InvalidPlan', 'currency'],
  ['overlapping tiers', () => koko.PricePlan.fromJson('{"currency":"USD","default":{"tiers":[{"from_day":1,"rate":"1"},{"from_day":1,"rate":"2"}]}}'), 'InvalidPlan', 'default.tiers[1].from_day'],
];

for (const [what, call, name, field] of cases) {
  test(what, () => {
    assert.throws(call, (err) => {
      assert.ok(err instanceof Error, 'a real Error');
      assert.equal(err.name, name);
      assert.match(err.code, /^KOKO_[A-Z_]+$/);
      assert.equal(err.field, field);
      assert.ok(err.message.length > 0 && typeof err.stack === 'string');
      return true;
    });
    // The module still works after every error.
    assert.equal(koko.PricePlan.story3().quoteDays('novel', 2).total, '4.50');
    assert.equal(plan.quote('fiction', at, '2024-06-03T10:00:00Z').total, '6.00');
  });
}

test('the API in normal use', () => {
  assert.deepEqual(plan.priceCurve('regular', 4), ['2.00', '2.00', '3.50', '5.00']);
  assert.deepEqual(plan.categories, ['fiction', 'novel', 'regular']);
  assert.equal(plan.currency, 'USD');
  assert.equal(plan.name, 'story3');
  const quote = plan.quote('regular', new Date('2024-06-01T10:00:00Z'), '2024-06-04T10:00:00+02:00');
  assert.deepEqual(quote, {
    days: 2,
    total: '2.00',
    currency: 'USD',
    lines: [{ description: 'days 1–2 at 1.00', amount: '2.00' }],
  });
  assert.deepEqual(koko.PricePlan.fromJson(plan.toJson()).toJson(), plan.toJson());
  assert.equal(typeof koko.version(), 'string');
});

test('due dates: dueAt, and quotes with an explicit dueAt', () => {
  const weekend = koko.PricePlan.fromJson(JSON.stringify({
    currency: 'EUR',
    calendar: { time_zone: 'Europe/Berlin', closed_weekdays: ['saturday', 'sunday'] },
    categories: {
      regular: { tiers: [{ from_day: 1, rate: '1.00' }], late_fee: { loan_days: 7, per_day: '0.50' } },
      reference: { tiers: [{ from_day: 1, rate: '1.00' }] },
    },
  }));
  // Rented Saturday 12:00 in Berlin: due a week later, a Saturday, so Monday 12:00 CEST.
  assert.equal(weekend.dueAt('regular', '2024-06-01T10:00:00Z'), '2024-06-10T10:00:00Z');
  assert.equal(weekend.dueAt('regular', new Date('2024-06-01T12:00:00+02:00')), '2024-06-10T10:00:00Z');
  assert.equal(weekend.dueAt('reference', '2024-06-01T10:00:00Z'), null);
  const [rented, returned] = ['2024-06-03T10:00:00Z', '2024-06-18T11:00:00Z'];
  const planned = weekend.quote('regular', rented, returned);
  assert.equal(planned.total, '19.00'); // 15 days, 8 late (0.50 each) from Monday 06-10 10:00Z
  assert.deepEqual(weekend.quote('regular', rented, returned, null), planned);
  assert.deepEqual(weekend.quote('regular', rented, returned, undefined), planned);
  const renewed = weekend.quote('regular', rented, returned, new Date('2024-06-17T10:00:00Z'));
  assert.equal(renewed.total, '15.50'); // 15 days, 25 h late is 1 day
  // A calendar_days due time is the end of a day, to the nanosecond: passed back as dueAt it is exact.
  const berlinDays = koko.PricePlan.fromJson(JSON.stringify({
    currency: 'EUR',
    day_count: { policy: 'calendar_days', time_zone: 'Europe/Berlin' },
    calendar: { time_zone: 'Europe/Berlin', closed_weekdays: ['saturday', 'sunday'] },
    default: { tiers: [{ from_day: 1, rate: '1.00' }], late_fee: { loan_days: 2, per_day: '0.50' } },
  }));
  const due = berlinDays.dueAt('regular', '2024-06-06T14:00:00Z');
  assert.equal(due, '2024-06-10T21:59:59.999999999Z');
  const late = berlinDays.quote('regular', '2024-06-06T14:00:00Z', '2024-06-11T06:00:00Z');
  assert.equal(late.total, '5.50');
  assert.deepEqual(berlinDays.quote('regular', '2024-06-06T14:00:00Z', '2024-06-11T06:00:00Z', due), late);
});
