// The bearer token the user pasted, kept in localStorage so it survives reloads. The API
// only checks it when the server runs with QE_JWT_SECRET or QE_JWT_PUBLIC_KEY.
const TOKEN_KEY = "quant_engine.bearer_token";

function storage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null; // storage disabled by the browser: behave as if no token was saved
  }
}

export function readToken(): string | null {
  const token = storage()?.getItem(TOKEN_KEY)?.trim();
  return token ? token : null;
}

export function saveToken(token: string | null): void {
  const store = storage();
  if (!store) return;
  const trimmed = token?.trim();
  if (trimmed) store.setItem(TOKEN_KEY, trimmed);
  else store.removeItem(TOKEN_KEY);
}
