import { h } from "./dom.js";

export interface CardSpec {
  /** The API field it shows (data-field, for tests and for people reading the markup). */
  field: string;
  label: string;
  value: string;
  /** A line under the value, e.g. what a rate divides by. */
  note?: string;
}

/** A grid of labelled numbers. */
export function cards(label: string, specs: CardSpec[]): HTMLElement {
  return h(
    "dl",
    { class: "cards", "aria-label": label },
    specs.map((c) =>
      h("div", { class: "card" }, h("dt", {}, c.label), h("dd", { "data-field": c.field }, c.value), c.note ? h("dd", { class: "note" }, c.note) : null),
    ),
  );
}

/** A notice for a view with nothing to show yet. */
export function empty(text: string): HTMLElement {
  return h("p", { class: "empty", role: "status" }, text);
}
