/**
 * The API key of this tab's session. It lives in sessionStorage only (gone when the tab closes):
 * never in a URL, localStorage, a cookie or a log line.
 */
const STORAGE_KEY = "misar.analytics.apiKey";

export const session = {
  key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};
