// The one bad input the shared table (core/tests/bad_input_table.json, run by shared_bad_inputs.test.mjs) does not
// express: a BigInt day count, a JavaScript-only conversion no table tag writes. Every other bad input — each a real
// Error with the core variant as name, a KOKO_ code and the field at fault, the module answering afterwards — is a
// case of the table. The two tests after it are not bad inputs: the API in normal use, and due dates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { koko } from './koko.mjs';

const plan = koko.PricePlan.story3();
const at = '2024-06-01T10:00:00Z';

test('days BigInt', () => {
  assert.throws(() => plan.quoteDays('regular', 3n), (err) => {
    assert.ok(err instanceof Error, 'a real Error');
    assert.equal(err.name, 'InvalidInput');
    assert.match(err.code, /^KOKO_[A-Z_]+$/);
    assert.equal(err.field, 'days');
    assert.ok(err.message.length > 0 && typeof err.stack === 'string');
    return true;
  });
  // The module still works after the error.
  assert.equal(koko.PricePlan.story3().quoteDays('novel', 2).total, '4.50');
  assert.equal(plan.quote('fiction', at, '2024-06-03T10:00:00Z').total, '6.00');
});

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
