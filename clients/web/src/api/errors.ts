// The API's errors as the app shows them: the google.rpc.Status JSON the edge answers, its ErrorInfo
// reason turned into a sentence a person can act on.

export interface ErrorInfo {
  reason: string;
  metadata: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly metadata: Record<string, string>,
    serverMessage: string,
  ) {
    super(serverMessage || reason);
  }

  get human(): string {
    return MESSAGES[this.reason] ?? (this.status >= 500 ? UNAVAILABLE : this.message);
  }
}

const UNAVAILABLE = "The service is busy or briefly unavailable. Please try again in a moment.";

const MESSAGES: Record<string, string> = {
  SEAT_UNAVAILABLE: "Someone else just took one of those seats. Pick another.",
  SEAT_LIMIT_REACHED: "You already hold or bought as many seats as this event allows per person.",
  TOO_MANY_SEATS: "That is more seats than one hold can take.",
  SALE_NOT_OPEN: "Sales for this event are not open right now.",
  HOLD_NOT_ACTIVE: "Your hold has ended; the seats went back on sale.",
  HOLD_NOT_FOUND: "That hold no longer exists.",
  RATE_LIMITED: "Too many requests at once. Wait a second and try again.",
  TOKEN_MISSING: "Please sign in first.",
  TOKEN_INVALID: "Your session has ended. Please sign in again.",
  ACCESS_DENIED: "Your account cannot do that.",
  ROLE_REQUIRED: "Your account cannot do that.",
  EVENT_NOT_FOUND: "This event does not exist (or is not yours).",
  ORDER_NOT_FOUND: "This order does not exist (or is not yours).",
  REFUND_NOT_ALLOWED: "This event does not offer refunds.",
  REFUND_WINDOW_CLOSED: "The refund window for this event has closed.",
  PROVIDER_UNAVAILABLE: "The payment provider did not answer. Please try again.",
  TICKET_PDF_NOT_READY: "Your ticket PDF is still being made. Try again in a few seconds.",
  INVALID_ARGUMENT: "Some of what was entered is not valid.",
  GATE_NOT_FOUND: "This gate does not exist, or you are not on its staff.",
  QUEUE_CLOSED: "This event has no open waiting room.",
  QUEUE_ALREADY_JOINED: "You already have a place in this queue (on this or another device).",
  QUEUE_PASS_REQUIRED: "This sale goes through its waiting room: join the queue first.",
  QUEUE_PASS_INVALID: "That queue pass is not valid. Rejoin the queue.",
  QUEUE_PASS_WRONG_EVENT: "That queue pass is for another event.",
  QUEUE_PASS_WRONG_USER: "That queue pass belongs to someone else.",
  QUEUE_PASS_EXPIRED: "Your queue pass has expired; you are back in the queue.",
  QUEUE_PASS_USED: "Your queue pass has already been used for a hold.",
};

/** The edge's error body (google.rpc.Status as JSON) to an ApiError; anything else to a generic one. */
export function apiError(status: number, body: unknown): ApiError {
  const shaped = body as { message?: string; details?: { "@type"?: string; reason?: string; metadata?: Record<string, string> }[] } | null;
  const info = shaped?.details?.find((d) => d["@type"]?.endsWith("google.rpc.ErrorInfo"));
  return new ApiError(status, info?.reason ?? `HTTP_${status}`, info?.metadata ?? {}, shaped?.message ?? "");
}
