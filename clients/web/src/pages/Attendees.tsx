// An event's attendees (searchable, exportable as CSV) and its orders, each paid one refundable by the
// organizer: the refund goes to the provider once (its request id), the tickets are voided, the buyer told.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, must } from "../api/client";
import { download } from "../api/download";
import type { ApiError } from "../api/errors";
import type { Order } from "../api/types";
import { money } from "../money";
import { Problem } from "./Problem";

function OrderRow({ order, changed }: { order: Order; changed: () => void }) {
  const [requestId] = useState(() => crypto.randomUUID());
  const id = (order.name ?? "").split("/").pop() ?? "";
  const refund = useMutation<unknown, ApiError>({
    mutationFn: () => must(api.POST("/v1/orders/{order}:organizerRefund", { params: { path: { order: id } }, body: { name: order.name ?? "", requestId } })),
    onSuccess: changed,
  });
  return (
    <tr>
      <td>{order.reference}</td>
      <td>{order.state?.replace("ORDER_STATE_", "").toLowerCase().replace("_", " ")}</td>
      <td>{money(order.totalMinor ?? 0, order.currencyCode ?? "LKR")}</td>
      <td>
        {order.state === "ORDER_STATE_PAID" && (
          <button type="button" onClick={() => { refund.mutate(); }} disabled={refund.isPending}>Refund</button>
        )}
        {refund.error && <span role="alert">{refund.error.human}</span>}
      </td>
    </tr>
  );
}

export function Attendees({ event }: { event: string }) {
  const id = event.split("/").pop() ?? "";
  const [query, setQuery] = useState("");
  const people = useQuery({
    queryKey: ["attendees", event, query],
    queryFn: async () => (await must(api.GET("/v1/events/{event}/attendees", { params: { path: { event: id }, query: { query } } }))).attendees ?? [],
  });
  const orders = useQuery({
    queryKey: ["event-orders", event],
    queryFn: async () => (await must(api.GET("/v1/events/{event}/orders", { params: { path: { event: id } } }))).orders ?? [],
  });
  const csv = useMutation<undefined, ApiError>({
    mutationFn: () => download(`/v1/${event}/attendees:export`, `attendees-${id}.csv`),
  });
  const failed = people.error ?? orders.error;
  if (failed) return <Problem error={failed} retry={() => { void people.refetch(); void orders.refetch(); }} />;
  return (
    <main>
      <h1>Attendees</h1>
      <form onSubmit={(e) => { e.preventDefault(); }}>
        <label htmlFor="who">Find a name, email or order</label>
        <input id="who" value={query} onChange={(e) => { setQuery(e.target.value); }} />
        <button type="button" onClick={() => { csv.mutate(); }} disabled={csv.isPending}>Export CSV</button>
      </form>
      {csv.error && <p role="alert">{csv.error.human}</p>}
      {!people.data ? <p aria-busy="true">Loading attendees…</p> : (
        <table>
          <thead><tr><th>Seat</th><th>Name</th><th>Email</th><th>Order</th><th>Ticket</th></tr></thead>
          <tbody>
            {people.data.map((a) => (
              <tr key={a.ticket}><td>{a.seatId}</td><td>{a.customerName}</td><td>{a.customerEmail}</td><td>{a.orderReference}</td><td>{a.state}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Orders</h2>
      {!orders.data ? <p aria-busy="true">Loading orders…</p> : (
        <table>
          <thead><tr><th>Order</th><th>State</th><th>Total</th><th /></tr></thead>
          <tbody>{orders.data.map((o) => <OrderRow key={o.name} order={o} changed={() => { void orders.refetch(); void people.refetch(); }} />)}</tbody>
        </table>
      )}
    </main>
  );
}
