// Sign-in with Keycloak: OIDC Authorization Code with PKCE (S256), silent renew, logout. The path a user
// was on (with their selected seats in the URL) is carried through the redirect and restored.
import { UserManager, WebStorageStateStore, type User } from "oidc-client-ts";

const authority: string =
  (import.meta.env.VITE_OIDC_AUTHORITY as string | undefined) ?? "http://localhost:8180/realms/apextick";

export const users = new UserManager({
  authority,
  client_id: "apextick-web",
  redirect_uri: `${window.location.origin}/callback`,
  post_logout_redirect_uri: `${window.location.origin}/`,
  response_type: "code",
  scope: "openid profile email",
  automaticSilentRenew: true,
  userStore: new WebStorageStateStore({ store: window.sessionStorage }),
});

let renewing: Promise<string | null> | null = null;

/** The access token, renewed first (with the refresh token, no page change) when it has expired, as after
 * a laptop wakes; null when there is no session or it cannot be renewed. */
export async function currentToken(): Promise<string | null> {
  const user = await users.getUser();
  if (!user) return null;
  if (!user.expired) return user.access_token;
  renewing ??= users.signinSilent().then(
    (renewed) => renewed?.access_token ?? null,
    () => null,
  ).finally(() => { renewing = null; });
  return renewing;
}

const LAST_REDIRECT = "apextick.auth.redirected";

/** A session the API refused (expired beyond renewal, or ended at Keycloak): sign in again and come back
 * to this very URL, so the seats chosen (kept in it) are still chosen. At most once a minute, so a token
 * the API keeps refusing can never bounce the browser in a loop. */
export async function sessionRefused(): Promise<void> {
  const last = Number(window.sessionStorage.getItem(LAST_REDIRECT) ?? "0");
  if (Date.now() - last < 60_000) return;
  window.sessionStorage.setItem(LAST_REDIRECT, String(Date.now()));
  await users.removeUser();
  await signIn();
}

export function signIn(): Promise<void> {
  return users.signinRedirect({ state: window.location.pathname + window.location.search });
}

export function signUp(): Promise<void> {
  // Keycloak's registration page, reached through the same authorization request.
  return users.signinRedirect({
    state: window.location.pathname + window.location.search,
    extraQueryParams: { prompt: "create" },
  });
}

export function signOut(): Promise<void> {
  return users.signoutRedirect();
}

/** Completes the redirect back from Keycloak; the path to return to. */
export async function finishSignIn(): Promise<string> {
  const user: User = await users.signinRedirectCallback();
  return typeof user.state === "string" && user.state.startsWith("/") ? user.state : "/";
}

export function roles(user: User | null): string[] {
  const access = user?.profile.realm_access as { roles?: string[] } | undefined;
  if (access?.roles) return access.roles;
  // The id token may not carry realm roles: read them from the access token's claims.
  const payload = user?.access_token.split(".")[1];
  if (!payload) return [];
  const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { realm_access?: { roles?: string[] } };
  return claims.realm_access?.roles ?? [];
}
