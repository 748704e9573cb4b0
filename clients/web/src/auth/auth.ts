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

export async function currentToken(): Promise<string | null> {
  const user = await users.getUser();
  if (!user || user.expired) return null;
  return user.access_token;
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
