// The organizer's live view of one event's sale, refreshed every few seconds: revenue per currency,
// the funnel, sell-through by tier and section, and sales per minute, drawn as plain SVG bars (no
// chart library: the figures are few and the bundle stays small).
import { useQuery } from "@tanstack/react-query";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { components } from "../api/schema";
import { money } from "../money";
import { Problem } from "./Problem";
import { type Queue, useQueue } from "./QueuePanel";
import { QueueSettings } from "./QueueSettings";

type Board = components["schemas"]["apextick.sales.v1.GetEventDashboardResponse"];
type Through = components["schemas"]["apextick.sales.v1.SellThrough"];

function Bars({ title, rows }: { title: string; rows: { label: string; value: number; of: number }[] }) {
  return (
    <figure className="bars">
      <figcaption>{title}</figcaption>
      {rows.map((row) => (
        <div key={row.label} className="bar" role="meter" aria-label={row.label} aria-valuenow={row.value} aria-valuemin={0} aria-valuemax={row.of}>
          <span>{row.label}</span>
          <svg viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
            <rect width="100" height="6" fill="#8883" />
            <rect width={row.of ? (100 * row.value) / row.of : 0} height="6" fill="var(--accent)" />
          </svg>
          <span>
            {row.value} / {row.of}
          </span>
        </div>
      ))}
    </figure>
  );
}

/** The waiting room's figures: who waits, how fast the door turns, how many passes became holds. */
function QueueFigures({ queue }: { queue: Queue }) {
  const admitted = queue.admitted ?? 0;
  return (
    <section aria-label="Waiting room figures" className="figures">
      <p>
        Waiting room: <strong data-figure="waiting">{queue.waiting ?? 0}</strong> waiting · admitting{" "}
        {queue.admissionsPerMinute ?? 0} a minute · {admitted} admitted ·{" "}
        <span data-figure="passes-used">{queue.passesUsed ?? 0}</span> passes used
        {admitted ? ` (${Math.round((100 * (queue.passesUsed ?? 0)) / admitted)} %)` : ""}
      </p>
    </section>
  );
}

const through = (list: Through[] | undefined) =>
  (list ?? []).map((t) => ({ label: t.id ?? "", value: t.sold ?? 0, of: t.seats ?? 0 }));

export function Dashboard({ event }: { event: string }) {
  const id = event.split("/")[1] ?? "";
  const queue = useQueue(event);
  const board = useQuery<Board, ApiError>({
    queryKey: ["dashboard", event],
    queryFn: () => must(api.GET("/v1/events/{event}/dashboard", { params: { path: { event: id } } })),
    refetchInterval: 3000,
  });
  if (board.error) return <Problem error={board.error} retry={() => void board.refetch()} />;
  if (!board.data) return <p aria-busy="true">Loading the dashboard…</p>;
  const b = board.data;
  const funnel = b.funnel ?? {};
  const top = Math.max(funnel.holds ?? 0, 1);
  const minutes = (b.perMinute ?? []).slice(-30);
  const peak = Math.max(1, ...minutes.map((m) => m.paid ?? 0));
  return (
    <main className="dashboard">
      <h1>Sales</h1>
      <section aria-label="Revenue" className="figures">
        {(b.revenue ?? []).map((r) => (
          <p key={r.currencyCode}>
            <strong data-figure="net">{money(r.netMinor ?? 0, r.currencyCode ?? "LKR")}</strong> net ·{" "}
            {money(r.grossMinor ?? 0, r.currencyCode ?? "LKR")} gross · {money(r.refundedMinor ?? 0, r.currencyCode ?? "LKR")} refunded
          </p>
        ))}
        {!b.revenue?.length && <p>No sales yet.</p>}
        <p>
          <span data-figure="paid">{funnel.paid ?? 0}</span> paid orders · {b.holdsInFlight ?? 0} holds in flight ·{" "}
          {b.scanConflicts ?? 0} scan conflicts
        </p>
      </section>
      {queue.data && <QueueFigures queue={queue.data} />}
      {/* Keyed by the event alone: a save makes the commitment, and remounting on it would drop "Saved." */}
      {queue.isSuccess && <QueueSettings key={event} event={event} queue={queue.data} />}
      <Bars title="Funnel" rows={[
        { label: "Holds", value: funnel.holds ?? 0, of: top },
        { label: "Checkouts", value: funnel.checkouts ?? 0, of: top },
        { label: "Paid", value: funnel.paid ?? 0, of: top },
        { label: "Admitted", value: funnel.admitted ?? 0, of: top },
      ]} />
      <Bars title="Sold by tier" rows={through(b.tiers)} />
      <Bars title="Sold by section" rows={through(b.sections)} />
      <figure className="bars">
        <figcaption>Paid orders per minute (last 30)</figcaption>
        <svg viewBox={`0 0 ${Math.max(minutes.length, 1) * 4} 40`} className="minutes" role="img" aria-label="Paid orders per minute">
          {minutes.map((m, i) => (
            <rect key={m.minute} x={i * 4} y={40 - (40 * (m.paid ?? 0)) / peak} width={3} height={(40 * (m.paid ?? 0)) / peak} fill="var(--accent)" />
          ))}
        </svg>
      </figure>
    </main>
  );
}
