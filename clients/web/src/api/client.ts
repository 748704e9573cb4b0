// The one typed client of the REST edge (types generated from edge/openapi.yaml by `npm run gen:api`).
// Same origin as the app: no CORS in production. Every call carries the signed-in user's token.
import createClient, { type Middleware } from "openapi-fetch";

import { currentToken, sessionRefused, users } from "../auth/auth";
import type { paths } from "./schema";
import { apiError } from "./errors";

const bearer: Middleware = {
  async onRequest({ request }) {
    const token = await currentToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401 && (await users.getUser())) void sessionRefused();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearer);

/** The data of a call, or its ApiError thrown: what TanStack Query expects of a query function. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) throw apiError(response.status, error);
  return data;
}
