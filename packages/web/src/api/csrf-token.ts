const KEY = 'berth.csrf';

/**
 * The CSRF token from login, sent as `x-berth-csrf` on every state change. Kept in memory and in
 * this tab's sessionStorage (a reload keeps it; another tab signs in on its own). The login cookie
 * itself is HttpOnly: scripts never see it.
 */
export class CsrfToken {
  private value: string | null;

  constructor(private readonly storage: Storage | null = safeSessionStorage()) {
    this.value = this.storage?.getItem(KEY) ?? null;
  }

  get(): string | null {
    return this.value;
  }

  set(token: string): void {
    this.value = token;
    this.storage?.setItem(KEY, token);
  }

  clear(): void {
    this.value = null;
    this.storage?.removeItem(KEY);
  }
}

function safeSessionStorage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    // Storage can be switched off by the browser: memory alone then.
    return null;
  }
}
