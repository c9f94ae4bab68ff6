import type { CurrencyAmount } from "../../gen/es/misar/analytics/v1/revenue_pb.js";
import type { CardSpec } from "./cards.js";
import * as fmt from "./format.js";

/** Amounts per currency, each in its own currency (never converted), in the API's order. */
export function moneyList(amounts: CurrencyAmount[]): string {
  return amounts.length === 0 ? "—" : amounts.map((a) => fmt.money(a.amount, a.currency)).join(" · ");
}

/** One card per currency (field `revenue.EUR`, ...), or one card saying there is none. */
export function moneyCards(field: string, label: string, amounts: CurrencyAmount[], none: string): CardSpec[] {
  if (amounts.length === 0) return [{ field, label, value: "—", note: none }];
  return amounts.map((a) => ({ field: `${field}.${a.currency}`, label: `${label} (${a.currency})`, value: fmt.money(a.amount, a.currency) }));
}
