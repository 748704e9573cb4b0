// The organizer's events, drafts included: publish a draft, cancel a published event (every paid order
// refunded and its holders told, by the service), and the ways into each event's dashboard and attendees.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { Event } from "../api/types";
import { cancelEvent, publishEvent } from "../organize/create";
import { navigate } from "../router";
import { Problem } from "./Problem";

const STATE: Record<string, string> = {
  EVENT_STATE_DRAFT: "Draft", EVENT_STATE_PUBLISHED: "Published, sale not open yet", EVENT_STATE_ON_SALE: "On sale",
  EVENT_STATE_CANCELLED: "Cancelled", EVENT_STATE_ENDED: "Ended",
};
const CANCELLABLE = new Set(["EVENT_STATE_PUBLISHED", "EVENT_STATE_ON_SALE"]);

function Link({ to, children }: { to: string; children: React.ReactNode }) {
  return <a href={to} onClick={(e) => { e.preventDefault(); navigate(to); }}>{children}</a>;
}

function EventCard({ event, changed }: { event: Event; changed: () => void }) {
  const [reason, setReason] = useState("");
  const [asking, setAsking] = useState(false);
  const [ids] = useState(() => ({ publish: crypto.randomUUID(), cancel: crypto.randomUUID() }));
  const publish = useMutation<undefined, ApiError>({ mutationFn: () => publishEvent(event.name ?? "", ids.publish), onSuccess: changed });
  const cancel = useMutation<undefined, ApiError>({ mutationFn: () => cancelEvent(event.name ?? "", reason, ids.cancel), onSuccess: changed });
  const failed = publish.error ?? cancel.error;
  return (
    <li>
      <strong>{event.displayName}</strong>
      <span>{STATE[event.state ?? ""] ?? event.state} · {event.startTime ? new Date(event.startTime).toLocaleString() : ""} · {event.seatCount} seats</span>
      <span className="actions">
        <Link to={`/${event.name ?? ""}`}>Page</Link>
        <Link to={`/${event.name ?? ""}/dashboard`}>Dashboard</Link>
        <Link to={`/${event.name ?? ""}/attendees`}>Attendees</Link>
        {event.state === "EVENT_STATE_DRAFT" && (
          <button type="button" onClick={() => { publish.mutate(); }} disabled={publish.isPending}>Publish</button>
        )}
        {CANCELLABLE.has(event.state ?? "") && !asking && <button type="button" onClick={() => { setAsking(true); }}>Cancel event…</button>}
      </span>
      {asking && (
        <form onSubmit={(e) => { e.preventDefault(); cancel.mutate(); }}>
          <label htmlFor={`reason-${event.name ?? ""}`}>Why (told to every ticket holder)</label>
          <input id={`reason-${event.name ?? ""}`} value={reason} onChange={(e) => { setReason(e.target.value); }} required />
          <button type="submit" disabled={cancel.isPending}>Cancel the event and refund every order</button>
        </form>
      )}
      {failed && <p role="alert">{failed.human}</p>}
    </li>
  );
}

export function Organize() {
  const events = useQuery<Event[], ApiError>({
    queryKey: ["my-events"],
    queryFn: async () => (await must(api.GET("/v1/events", { params: { query: { organizer: "me" } } }))).events ?? [],
  });
  if (events.error) return <Problem error={events.error} retry={() => void events.refetch()} />;
  return (
    <main>
      <h1>My events</h1>
      <p><Link to="/organize/new">New event</Link></p>
      {!events.data ? <p aria-busy="true">Loading your events…</p> : (
        <ul className="cards">
          {events.data.length === 0 && <li>No events yet.</li>}
          {events.data.map((e) => <EventCard key={e.name} event={e} changed={() => void events.refetch()} />)}
        </ul>
      )}
    </main>
  );
}
