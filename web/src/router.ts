/**
 * Hash routes, so that GET / is the only page the server serves and reloads keep the view:
 *   #/                      overview (query: period, from, to, tz)
 *   #/campaigns             campaign list (query: status, page)
 *   #/campaigns/{id}        one campaign
 * What a route carries is view state only; the API key is never in a URL.
 */
export type Route =
  | { page: "overview"; query: URLSearchParams }
  | { page: "campaigns"; query: URLSearchParams }
  | { page: "campaign"; id: string; query: URLSearchParams };

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path = "/", search = ""] = raw.split("?", 2);
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "campaigns" && parts.length === 2) return { page: "campaign", id: parts[1]!, query };
  if (parts[0] === "campaigns" && parts.length === 1) return { page: "campaigns", query };
  return { page: "overview", query };
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

/** A campaign's page; `tz` carries a time zone picked elsewhere. */
export const campaignHref = (id: string, tz?: string) => href(`/campaigns/${encodeURIComponent(id)}`, { tz });

/** Moves to a route; the hashchange listener renders it. */
export function go(to: string): void {
  if (location.hash === to) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = to;
}
