import "./styles.css";
import { h, replace } from "./dom.js";
import { classify } from "./errors.js";
import { campaignPage } from "./pages/campaign.js";
import { campaignsPage } from "./pages/campaigns.js";
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
  campaigns: campaignsPage,
  campaign: campaignPage,
};

/** Which page is on screen (kind and campaign id), to tell a new page from a refreshed one. */
let shown: string | undefined;
/** Numbers renders (unique across reloads too): tests wait for a render other than the one they saw. */
let renders = 0;

function render(notice?: string): void {
  inFlight?.abort();
  if (!session.key()) {
    shown = undefined;
    replace(app, signInPage(notice, () => go(href("/"))));
    document.title = "Sign in · Misar Analytics";
    document.getElementById("api-key")?.focus();
    return;
  }
  const route = currentRoute();
  const pageKey = route.page === "campaign" ? `campaign/${route.id}` : route.page;
  const previous = document.getElementById("main");
  // The same page with other settings (period, zone, filter) keeps its content, dimmed, while the
  // new numbers load; another page starts from a loading notice.
  const refresh = pageKey === shown && previous?.getAttribute("data-state") === "ready";
  const main = refresh ? previous! : h("main", { id: "main", tabindex: "-1" }, h("p", { class: "loading", role: "status" }, "Loading…"));
  main.setAttribute("data-state", "loading");
  main.setAttribute("data-render", `${Math.round(performance.timeOrigin)}.${++renders}`);
  main.setAttribute("aria-busy", "true");
  const focused = document.activeElement?.id;
  replace(app, shell(route), main);
  const ctrl = (inFlight = new AbortController());
  const page = PAGES[route.page] as Page;
  const done = (state: "ready" | "error") => {
    main.setAttribute("data-state", state);
    main.removeAttribute("aria-busy");
    document.title = `${main.querySelector("h1")?.textContent ?? "Misar Analytics"} · Misar Analytics`;
    // Keyboard focus stays on the control that changed the view; a new page moves it to <main>.
    const again = focused ? document.getElementById(focused) : null;
    if (refresh && again) again.focus();
    else if (shown !== undefined && !refresh) main.focus();
    shown = pageKey;
  };
  page({ route, signal: ctrl.signal }).then(
    (content) => {
      if (ctrl.signal.aborted) return;
      replace(main, content);
      done("ready");
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
      done("error");
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
    h(
      "nav",
      { "aria-label": "Main" },
      link(href("/", { tz }), "Overview", route.page === "overview"),
      link(href("/campaigns", { tz }), "Campaigns", route.page !== "overview"),
    ),
    signOut,
  );
}

window.addEventListener("hashchange", () => render());
render();
