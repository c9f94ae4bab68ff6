import { h } from "./dom.js";
import { browserTimeZone } from "./format.js";

/** The time zone a view uses: the route's `tz`, else the browser's own. */
export function viewTimeZone(q: URLSearchParams): string {
  return q.get("tz") || browserTimeZone();
}

/** Every IANA zone the browser knows (UTC first), with the current one kept even if unlisted. */
function zones(current: string): string[] {
  const all = new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);
  all.add(current);
  return [...all];
}

/** A labelled select of time zones; calls onChange with the zone picked. */
export function timeZonePicker(current: string, onChange: (tz: string) => void): HTMLElement[] {
  const select = h(
    "select",
    { id: "tz", name: "tz" },
    zones(current).map((z) => h("option", { value: z, selected: z === current }, z.replaceAll("_", " "))),
  );
  select.addEventListener("change", () => onChange(select.value));
  return [h("label", { for: "tz" }, "Time zone"), select];
}
