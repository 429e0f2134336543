// A typed sample of the koko-wasm API; tests/types.test.mjs checks it with tsc --noEmit --strict.
import { PricePlan, version, type KokoError, type Quote, type QuoteLine } from "../../target/koko-wasm/pkg/koko_wasm.js";

const plan: PricePlan = PricePlan.story3();
const quote: Quote = plan.quote("regular", new Date("2024-06-01T10:00:00Z"), "2024-06-04T10:00:00Z");
const total: string = quote.total;
const days: number = quote.days;
const lines: QuoteLine[] = quote.lines;
const descriptions: string[] = lines.map((line) => `${line.description}: ${line.amount}`);
const curve: string[] = plan.priceCurve("novel", 14);
const fast: string = plan.totalForDays("novel", 2);
const due: string | null = plan.dueAt("regular", "2024-06-01T10:00:00Z");
const renewed: Quote = plan.quote("regular", "2024-06-01T10:00:00Z", new Date("2024-06-20T10:00:00Z"), due);
const planned: Quote = plan.quote("regular", "2024-06-01T10:00:00Z", "2024-06-20T10:00:00Z", undefined);
const custom: PricePlan = PricePlan.fromJson(plan.toJson());
const categories: string[] = custom.categories;
const currency: string = custom.currency;
const name: string | undefined = custom.name;

try {
  plan.quoteDays("poetry", 3);
} catch (e) {
  const err = e as KokoError;
  const field: string | undefined = err.field;
  console.log(err.name === "InvalidInput", err.code, field);
}

console.log(version(), fast, due, renewed.total, planned.total, total, days, descriptions, curve, categories, currency, name, plan.quoteDays("fiction", 2).total);
