import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

// Numbers for people, in the browser's locale: thousands separators, rates as percentages with
// one decimal (the API's rates have three decimals, so nothing is lost), money with its currency.
const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percents = new Intl.NumberFormat(undefined, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const count = (n: bigint | number): string => counts.format(n);
export const percent = (rate: number): string => percents.format(rate);

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
  } catch {
    // A code Intl does not know still reads as an amount and its code.
    return `${new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount)} ${currency}`;
  }
}

/** A timestamp as a date and time in a time zone. */
export function dateTime(ts: Timestamp | undefined, timeZone: string): string {
  if (!ts) return "—";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }).format(timestampDate(ts));
}

/** A timestamp as a date in a time zone. */
export function date(ts: Timestamp | undefined, timeZone: string): string {
  if (!ts) return "—";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone }).format(timestampDate(ts));
}

/** The browser's own IANA time zone. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
