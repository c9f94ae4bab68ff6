import { analytics, withKey } from "../api.js";
import { h } from "../dom.js";
import { classify } from "../errors.js";
import { session } from "../session.js";

/**
 * The sign-in form. A key is tried with one read before it is kept, so a wrong key or one without
 * the analytics scope is refused here, with the reason, and never stored.
 */
export function signInPage(notice: string | undefined, onSignedIn: () => void): HTMLElement {
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "msk_…",
    "aria-describedby": "api-key-help",
  });
  const message = h("p", { id: "signin-message", class: notice ? "alert" : "", role: "alert" }, notice ?? "");
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Misar Analytics"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h(
      "p",
      { id: "api-key-help", class: "note" },
      "A key with the analytics scope (npm run keys). It is kept only in this tab and forgotten when you sign out or close it.",
    ),
    submit,
    message,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    submit.disabled = true;
    message.className = "";
    message.textContent = "Checking the key…";
    try {
      await analytics.getOverview({ period: "7d" }, withKey(key));
      session.signIn(key);
      onSignedIn();
    } catch (err) {
      const f = classify(err);
      message.className = "alert";
      message.textContent = f.kind === "cancelled" ? "" : f.message;
      submit.disabled = false;
      input.select();
    }
  });
  return h("main", { id: "main", class: "signin-main", "data-state": "signin" }, form);
}
