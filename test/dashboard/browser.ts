// Drives Debian's Chromium (installed by scripts/ensure-chromium.mjs when missing) with
// playwright-core, headless, against a real server: helpers to wait for a page, read its numbers,
// run axe-core and take screenshots.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import axe from "axe-core";
import { chromium, type Browser, type Page } from "playwright-core";

export const SCREENSHOTS = join(process.cwd(), ".cache", "screenshots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Builds the dashboard into dist/web as `npm run build` does (the server reads it at startup). */
export function buildDashboard(): void {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: ["ignore", "ignore", "inherit"] });
}

export async function launch(): Promise<Browser> {
  const executablePath = execFileSync(process.execPath, ["scripts/ensure-chromium.mjs"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  // --no-sandbox: the tests run as root (CI too), where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

/**
 * Does something that renders a view and waits until that render has its data: each render numbers
 * <main> (data-render), so the previous view's "ready" cannot satisfy the wait.
 */
export async function settle(page: Page, action: () => Promise<unknown>, state = "ready"): Promise<void> {
  const before = (await page.evaluate("document.getElementById('main')?.dataset.render ?? ''")) as string;
  await action();
  await page.waitForSelector(`main[data-state="${state}"]:not([data-render="${before}"])`);
}

/** Every number the page shows, by the API field it stands for (data-field), in page order. */
export function fields(page: Page, scope = "main"): Promise<Record<string, string>> {
  return page.evaluate(
    `Object.fromEntries([...document.querySelectorAll(${JSON.stringify(scope)} + " [data-field]")].map((e) => [e.dataset.field, e.textContent.trim()]))`,
  );
}

/** The rows of a table as arrays of cell texts (header cells included). */
export function tableRows(page: Page, selector: string): Promise<string[][]> {
  return page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(selector + " tbody tr")})].map((tr) => [...tr.cells].map((c) => c.textContent.trim()))`,
  );
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the current page (WCAG 2.1 A/AA and best practice). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // evaluate runs outside the page's CSP (no inline <script> is added).
  await page.evaluate(axe.source);
  const all: AxeViolation[] = await page.evaluate(`axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) })))`);
  return all.filter((v) => v.impact === "serious" || v.impact === "critical");
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
