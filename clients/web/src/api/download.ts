// A file the API serves behind the bearer token (a ticket PDF, an attendee CSV): fetched with the token,
// since a plain link would carry none, then handed to the browser as a download.
import { currentToken } from "../auth/auth";
import { apiError } from "./errors";

export async function download(path: string, filename: string): Promise<undefined> {
  const token = await currentToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw apiError(response.status, await response.json().catch(() => null));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
  return undefined;
}
