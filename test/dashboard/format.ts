// How the tests expect numbers to read (en-US, the browser locale they set): computed here from the
// API's answers with Intl, not with the dashboard's own code.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

export const LOCALE = "en-US";
const counts = new Intl.NumberFormat(LOCALE);
const percents = new Intl.NumberFormat(LOCALE, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const count = (n: bigint | number) => counts.format(n);
export const percent = (r: number) => percents.format(r);
export const money = (amount: number, currency: string) => new Intl.NumberFormat(LOCALE, { style: "currency", currency }).format(amount);
export const date = (t: Timestamp | undefined, timeZone: string) =>
  new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeZone }).format(timestampDate(t!));
export const dateTime = (t: Timestamp | undefined, timeZone: string) =>
  new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short", timeZone }).format(timestampDate(t!));
