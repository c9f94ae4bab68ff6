import "./styles.css";
import { h, replace } from "./dom.js";
import { classify } from "./errors.js";
import { campaignPage } from "./pages/campaign.js";
import { overviewPage } from "./pages/overview.js";
import type { Page } from "./pages/page.js";
import { signInPage } from "./pages/signin.js";
import { currentRoute, go, href, type Route } from "./router.js";
import { session } from "./session.js";

const app = document.getElementById("app")!;
/** Aborts the previous page's requests when the route changes, so a late answer never lands. */
let inFlight: AbortController | undefined;

const PAGES: { [P in Route["page"]]: Page<Extract<Route, { page: P }>> } = {
  overview: overviewPage,
  campaign: campaignPage,
};

function render(notice?: string): void {
  inFlight?.abort();
  if (!session.key()) {
    replace(app, signInPage(notice, () => go(href("/"))));
    document.getElementById("api-key")?.focus();
    return;
  }
  const route = currentRoute();
  const main = h("main", { id: "main", tabindex: "-1", "data-state": "loading", "aria-busy": "true" }, h("p", { class: "loading", role: "status" }, "Loading…"));
  replace(app, shell(route), main);
  const ctrl = (inFlight = new AbortController());
  const page = PAGES[route.page] as Page;
  page({ route, signal: ctrl.signal }).then(
    (content) => {
      if (ctrl.signal.aborted) return;
      replace(main, content);
      main.setAttribute("data-state", "ready");
      main.removeAttribute("aria-busy");
      // Time to interactive, measured from navigation start (bench/dashboard.ts reads it).
      performance.mark("dashboard-ready");
    },
    (err: unknown) => {
      if (ctrl.signal.aborted) return;
      const f = classify(err);
      if (f.kind === "cancelled") return;
      if (f.kind === "signed-out") {
        session.signOut();
        render(f.message);
        return;
      }
      replace(main, h("div", { class: "page" }, h("h1", {}, f.kind === "not-found" ? "Not found" : "Could not load this page"), h("p", { class: "alert", role: "alert" }, f.message)));
      main.setAttribute("data-state", "error");
      main.removeAttribute("aria-busy");
    },
  );
}

function shell(route: Route): HTMLElement {
  // A time zone picked on one page stays picked on the others.
  const tz = route.query.get("tz") ?? undefined;
  const link = (to: string, label: string, current: boolean) => h("a", { href: to, "aria-current": current ? "page" : undefined }, label);
  const signOut = h("button", { type: "button", id: "sign-out", class: "quiet" }, "Sign out");
  signOut.addEventListener("click", () => {
    session.signOut();
    history.replaceState(null, "", "/");
    render("You are signed out. The key has been forgotten by this tab.");
  });
  return h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: href("/") }, "Misar Analytics"),
    h("nav", { "aria-label": "Main" }, link(href("/", { tz }), "Overview", route.page === "overview")),
    signOut,
  );
}

window.addEventListener("hashchange", () => render());
render();
