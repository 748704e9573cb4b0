import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { Event } from "../api/types";
import { navigate } from "../router";
import { Problem } from "./Problem";

interface Filters {
  query: string;
  city: string;
  category: string;
  from: string; // yyyy-mm-dd
  to: string;
  maxPrice: string; // major units, as typed: the event's own currency
  seatsLeft: boolean;
}

const EMPTY: Filters = { query: "", city: "", category: "", from: "", to: "", maxPrice: "", seatsLeft: false };

function dayStart(day: string): string | undefined {
  return day ? new Date(`${day}T00:00:00`).toISOString() : undefined;
}

/** Words go to SearchEvents; without words the filters narrow ListEvents (SearchEvents needs a word). */
async function search(f: Filters): Promise<Event[]> {
  const filter: Record<string, string> = {};
  if (f.city) filter["filter.city"] = f.city;
  if (f.category) filter["filter.category"] = f.category;
  const after = dayStart(f.from);
  if (after) filter["filter.startAfter"] = after;
  const before = dayStart(f.to);
  if (before) filter["filter.startBefore"] = new Date(Date.parse(before) + 86_400_000).toISOString();
  const price = Number(f.maxPrice);
  if (f.maxPrice.trim() && Number.isFinite(price) && price >= 0) filter["filter.maxPriceMinor"] = String(Math.round(price * 100));
  if (f.seatsLeft) filter["filter.availableOnly"] = "true";
  const answer = f.query.trim()
    ? await must(api.GET("/v1/events:search", { params: { query: { ...filter, query: f.query.trim() } } }))
    : await must(api.GET("/v1/events", { params: { query: filter } }));
  return answer.events ?? [];
}

export function EventList() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const events = useQuery<Event[], ApiError>({ queryKey: ["events", filters], queryFn: () => search(filters) });
  const field = (key: "query" | "city" | "category" | "from" | "to" | "maxPrice", label: string, type = "text") => (
    <label>
      {label}
      <input
        type={type}
        value={draft[key]}
        onChange={(e) => {
          setDraft({ ...draft, [key]: e.target.value });
        }}
      />
    </label>
  );
  return (
    <main>
      <h1>Events</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        {field("query", "Search")}
        {field("city", "City")}
        {field("category", "Category")}
        {field("from", "From", "date")}
        {field("to", "To", "date")}
        {field("maxPrice", "Up to (price)", "number")}
        <label>
          <input type="checkbox" checked={draft.seatsLeft} onChange={(e) => { setDraft({ ...draft, seatsLeft: e.target.checked }); }} />
          Seats left
        </label>
        <button type="submit">Find</button>
      </form>
      {events.isPending && <p aria-busy="true">Loading events…</p>}
      {events.error && <Problem error={events.error} retry={() => void events.refetch()} />}
      {events.data?.length === 0 && <p>No events match. Try fewer words or another date.</p>}
      <ul className="cards">
        {events.data?.map((event) => (
          <li key={event.name}>
            <a
              href={`/${event.name ?? ""}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/${event.name ?? ""}`);
              }}
            >
              <strong>{event.displayName}</strong>
              <span>
                {event.city} · {event.startTime ? new Date(event.startTime).toLocaleString() : ""}
              </span>
              <span className="tag">{event.category}</span>
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
