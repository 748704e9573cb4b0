// An event: the live seat map, selection within the per-customer limit, a hold with the server's
// countdown, and checkout. The selection lives in the URL, so signing in on the way keeps it.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { api, must } from "../api/client";
import { ApiError } from "../api/errors";
import type { Hold } from "../api/types";
import { roles, signIn } from "../auth/auth";
import { useUser } from "../auth/useUser";
import { money } from "../money";
import { navigate } from "../router";
import { SeatMap } from "../seatmap/SeatMap";
import { useLiveSeats } from "../seatmap/liveSeats";
import { Problem } from "./Problem";
import { type Admission, QueuePanel, queueActive, useQueue } from "./QueuePanel";
import { clock, useCountdown } from "./useCountdown";

export const LAST_ORDER = "apextick:last-order";

/** `events/{id}` to `{id}`: the typed client fills the path's own variable. */
function idOf(name: string): string {
  return name.split("/")[1] ?? "";
}

function selectionFromUrl(): Set<string> {
  const raw = new URLSearchParams(window.location.search).get("seats");
  return new Set(raw ? raw.split(",").filter(Boolean) : []);
}

function keepInUrl(seats: Set<string>): void {
  const url = new URL(window.location.href);
  if (seats.size) url.searchParams.set("seats", [...seats].join(","));
  else url.searchParams.delete("seats");
  window.history.replaceState(null, "", url);
}

/** A hold request of either kind: the hold it made goes to `made`; a refusal (a lost race above all)
 * to `refused`. */
function useHold(
  send: () => Promise<{ hold?: Hold }>, made: (hold: Hold) => void, refused: (error: ApiError) => void,
) {
  return useMutation<Hold, ApiError>({
    mutationFn: async () => {
      const answer = await send();
      if (!answer.hold) throw new ApiError(500, "INTERNAL", {}, "no hold in the answer");
      return answer.hold;
    },
    onSuccess: made,
    onError: refused,
  });
}

export function EventPage({ event }: { event: string }) {
  const user = useUser();
  const details = useQuery({
    queryKey: ["event", event],
    queryFn: async () => {
      const answer = await must(api.GET("/v1/events/{event}", { params: { path: { event: idOf(event) } } }));
      if (!answer.event) throw new ApiError(500, "INTERNAL", {}, "no event in the answer");
      return answer.event;
    },
  });
  const map = useQuery({
    queryKey: ["seats", event],
    queryFn: () => must(api.GET("/v1/events/{event}/seats", { params: { path: { event: idOf(event) } } })),
  });
  const live = useLiveSeats(event);
  const queue = useQueue(event);
  const [admission, setAdmission] = useState<Admission | null>(null);
  const admitted = useCallback((a: Admission | null) => { setAdmission(a); }, []);
  const [best, setBest] = useState({ quantity: 2, together: true });
  const [selected, setSelected] = useState<Set<string>>(selectionFromUrl);
  const [hold, setHold] = useState<Hold | null>(null);
  const [notice, setNotice] = useState("");
  const left = useCountdown(hold?.expireTime);
  const limit = details.data?.maxSeatsPerCustomer ?? 4;

  // A lost race: the seats lost turn taken on the map (the live stream says so); the server names the
  // nearest free seats of the same tier, which become the selection, ready to hold.
  const offerInstead = (error: ApiError) => {
    if (error.reason !== "SEAT_UNAVAILABLE") {
      setNotice(error.human);
      return;
    }
    const lost = new Set((error.metadata.seat_ids ?? error.metadata.seats ?? "").split(",").filter(Boolean));
    const offered = (error.metadata.alternatives ?? "").split(",").filter(Boolean);
    const kept = new Set([...selected].filter((id) => !lost.has(id) && live.statuses.get(id) !== "SEAT_STATUS_HELD"));
    const next = offered.length ? new Set([...kept, ...offered].slice(0, limit)) : kept;
    setSelected(next);
    keepInUrl(next);
    setNotice(offered.length ? `${error.human} The nearest free seats are selected instead: ${offered.join(", ")}.` : error.human);
  };

  const made = (hold: Hold) => {
    setHold(hold);
    setNotice("");
  };
  const path = { params: { path: { event: idOf(event) } } };
  const queuePass = admission?.pass ?? "";
  const holdSeats = useHold(
    () => must(api.POST("/v1/events/{event}/holds", {
      ...path, body: { event, seatIds: [...selected], requestId: crypto.randomUUID(), queuePass },
    })),
    made, offerInstead,
  );

  const holdBest = useHold(
    () => must(api.POST("/v1/events/{event}/holds:bestAvailable", {
      ...path, body: { event, quantity: best.quantity, together: best.together, requestId: crypto.randomUUID(), queuePass },
    })),
    made, offerInstead,
  );

  const checkout = useMutation<string, ApiError>({
    mutationFn: async () => {
      const name = hold?.name ?? "";
      // The provider brings the buyer back to the order's page, which waits for the webhook's word.
      const back = `${window.location.origin}/orders/return`;
      const body = { hold: name, provider: "PAYMENT_PROVIDER_STRIPE" as const, requestId: crypto.randomUUID(),
        successUrl: back, cancelUrl: window.location.href };
      const answer = await must(api.POST("/v1/holds/{hold}:checkout", { params: { path: { hold: idOf(name) } }, body }));
      if (answer.order?.name) window.sessionStorage.setItem(LAST_ORDER, answer.order.name);
      return answer.order?.paymentSession?.redirectUrl ?? "";
    },
    onSuccess: (url) => {
      if (url) window.location.assign(url);
    },
    onError: (error) => {
      setNotice(error.human);
    },
  });

  const toggle = (id: string) => {
    if (hold) return;
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else if (next.size >= limit) {
      setNotice(`You can choose up to ${limit} seats.`);
      return;
    } else next.add(id);
    setNotice("");
    setSelected(next);
    keepInUrl(next);
  };

  if (details.error) return <Problem error={details.error} retry={() => void details.refetch()} />;
  if (map.error) return <Problem error={map.error} retry={() => void map.refetch()} />;
  if (!details.data || !map.data) return <p aria-busy="true">Loading the seat map…</p>;
  const tiers = map.data.priceTiers ?? [];
  const prices = new Map(tiers.map((t) => [t.name?.split("/").pop() ?? "", t]));
  const seats = map.data.seats ?? [];
  const chosen = seats.filter((s) => selected.has(s.seatId ?? ""));
  const currency = details.data.currencyCode;
  const total = chosen.reduce((sum, s) => sum + Number(prices.get(s.priceTierId ?? "")?.priceMinor ?? 0), 0);
  const mine = new Set((hold?.seats ?? []).map((s) => s.seatId ?? ""));
  const queued = queueActive(queue.data);
  const waiting = queued && !admission; // a queued sale holds only with the queue's pass

  return (
    <main className="event">
      <h1>{details.data.displayName}</h1>
      {roles(user).includes("organizer") && (
        <a href={`/${event}/dashboard`} onClick={(e) => { e.preventDefault(); navigate(`/${event}/dashboard`); }}>
          Sales dashboard
        </a>
      )}
      <p>
        {details.data.city} · {details.data.startTime ? new Date(details.data.startTime).toLocaleString() : ""}
      </p>
      {!live.connected && (
        <p role="status" className="banner">
          Live updates paused: reconnecting…
        </p>
      )}
      <ul className="legend">
        {tiers.map((t) => (
          <li key={t.name}>
            {t.displayName}: {money(t.priceMinor, currency)}
          </li>
        ))}
      </ul>
      {queued && queue.data && <QueuePanel event={event} queue={queue.data} signedIn={Boolean(user)} onAdmitted={admitted} />}
      <SeatMap seats={seats} tiers={tiers} statuses={live.statuses} selected={hold ? new Set() : selected} mine={mine} onToggle={toggle} />
      <section className="basket" aria-live="polite">
        {notice && <p role="alert">{notice}</p>}
        <p>
          {chosen.length} of {limit} seats · {money(total, currency)}
        </p>
        {!hold && !user && (
          <button type="button" onClick={() => void signIn()} disabled={!chosen.length}>
            Sign in to hold these seats
          </button>
        )}
        {!hold && user && (
          <button type="button" onClick={() => { holdSeats.mutate(); }} disabled={!chosen.length || holdSeats.isPending || waiting}>
            {waiting ? "Wait for your turn in the queue" : holdSeats.isPending ? "Holding…" : "Hold seats"}
          </button>
        )}
        {!hold && user && (
          <fieldset className="best">
            <legend>Or let us choose</legend>
            <label>
              Seats{" "}
              <select value={best.quantity} onChange={(e) => { setBest({ ...best, quantity: Number(e.target.value) }); }}>
                {Array.from({ length: limit }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>{" "}
            <label>
              <input type="checkbox" checked={best.together} onChange={(e) => { setBest({ ...best, together: e.target.checked }); }} /> together
            </label>{" "}
            <button type="button" onClick={() => { holdBest.mutate(); }} disabled={holdBest.isPending || waiting}>
              {holdBest.isPending ? "Finding…" : "Best available"}
            </button>
          </fieldset>
        )}
        {hold && left !== null && (
          <>
            <p className="countdown" role="timer">
              {left > 0 ? `Held for you for ${clock(left)}` : "Your hold has ended."}
            </p>
            <button type="button" onClick={() => { checkout.mutate(); }} disabled={left === 0 || checkout.isPending}>
              {checkout.isPending ? "Opening payment…" : `Pay ${money(hold.totalMinor ?? 0, hold.currencyCode ?? currency)}`}
            </button>
          </>
        )}
      </section>
    </main>
  );
}
