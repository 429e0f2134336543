// The quote page: every number comes from koko-wasm (the package, copied to ./pkg by bindings-wasm/build.sh; the
// page loads its browser entry, koko_wasm.js).
// Money stays a decimal string end to end; nothing here does arithmetic on it.
// The store's current plan comes from its REST API (GET /plan/, the plan's JSON document), so the page quotes
// exactly what the store will charge; the example plans stay for when the API cannot be reached.
import init, { PricePlan } from './pkg/koko_wasm.js';

const $ = (id) => document.getElementById(id);
const form = $('quote-form');
const CURVE_DAYS = 14;
const LABELS = { regular: 'Regular', fiction: 'Fiction', novel: 'Novel' };

const API_TIMEOUT_MS = 5_000;
let storePlan = null;

function plan() {
  const chosen = $('plan').value;
  return chosen === 'store' ? storePlan : PricePlan[chosen]();
}

function apiBase() {
  const fromAddress = new URLSearchParams(window.location.search).get('api');
  const fromPage = document.querySelector('meta[name="koko-api"]')?.content;
  return (fromAddress ?? fromPage ?? '').replace(/\/+$/, '');
}

// GET {api}/plan/ → PricePlan.fromJson; on success the store's plan is offered and chosen.
async function loadStorePlan() {
  const help = $('plan-help');
  const base = apiBase();
  try {
    const response = await fetch(`${base}/plan/`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`the API answered ${response.status}`);
    storePlan = PricePlan.fromJson(await response.text());
    const option = $('plan').querySelector('option[value="store"]');
    option.disabled = false;
    option.textContent = `The store's current plan${storePlan.name ? ` (${storePlan.name})` : ''}`;
    $('plan').value = 'store';
    help.textContent = `Prices as ${base} will charge them, in ${storePlan.currency}.`;
  } catch (err) {
    help.textContent = `The store's plan could not be loaded from ${base || 'the API'} (${err.message}): `
      + 'prices are for an example plan.';
  }
}

function fillCategories() {
  const select = $('category');
  const chosen = select.value;
  select.replaceChildren(
    ...plan().categories.map((c) => new Option(LABELS[c] ?? c, c, false, c === chosen)),
  );
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
  $('result').hidden = true;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

// A datetime-local value is a wall-clock time in the visitor's time zone.
function localInstant(input, label) {
  if (!input.value) throw new Error(`Please enter the ${label}.`);
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) throw new Error(`The ${label} is not a valid date and time.`);
  return date;
}

function friendly(err) {
  if (err.name === 'InvalidInput' && err.field === 'returned_at') return 'The return must be after the rental start.';
  if (err.name === 'InvalidInput' && err.field === 'category') return 'That category is not priced by this plan.';
  return err.message;
}

function render(quote, curve) {
  const rows = quote.lines.map((line) => {
    const tr = document.createElement('tr');
    const item = document.createElement('td');
    item.textContent = line.description;
    const amount = document.createElement('td');
    amount.className = 'amount';
    amount.textContent = line.amount;
    tr.append(item, amount);
    return tr;
  });
  $('lines').tBodies[0].replaceChildren(...rows);
  $('summary').textContent = `${quote.days} billable day${quote.days === 1 ? '' : 's'}, in ${quote.currency}`;
  $('total').textContent = `${quote.total} ${quote.currency}`;
  $('result').hidden = false;

  const curveRows = curve.map((total, i) => {
    const tr = document.createElement('tr');
    if (i + 1 === quote.days) tr.className = 'current';
    const day = document.createElement('th');
    day.scope = 'row';
    day.textContent = `${i + 1} day${i === 0 ? '' : 's'}`;
    const cell = document.createElement('td');
    cell.className = 'amount';
    cell.textContent = total;
    tr.append(day, cell);
    return tr;
  });
  $('curve').tBodies[0].replaceChildren(...curveRows);
  $('curve-section').hidden = false;
}

function update(event) {
  event?.preventDefault();
  clearError();
  try {
    const rentedAt = localInstant($('rented-at'), 'rental start');
    const returnedAt = localInstant($('returned-at'), 'return');
    const p = plan();
    const category = $('category').value;
    const quote = p.quote(category, rentedAt, returnedAt);
    render(quote, p.priceCurve(category, CURVE_DAYS));
  } catch (err) {
    showError(friendly(err));
  }
}

function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

await init();
await loadStorePlan();
fillCategories();
const start = new Date();
start.setSeconds(0, 0);
$('rented-at').value = toLocalInput(start);
$('returned-at').value = toLocalInput(new Date(start.getTime() + 3 * 86_400_000));
$('plan').addEventListener('change', () => {
  fillCategories();
  update();
});
form.addEventListener('submit', update);
document.body.dataset.ready = 'true';
