// One order after checkout. The return from the payment page proves nothing: the page waits for the
// order the provider's webhook confirmed (PAID), then shows its tickets with their QR codes and PDFs.
import { useMutation, useQuery } from "@tanstack/react-query";

import { api, must } from "../api/client";
import { download } from "../api/download";
import type { ApiError } from "../api/errors";
import type { Order, Ticket } from "../api/types";
import { money } from "../money";
import { Problem } from "./Problem";
import { QrCode } from "./QrCode";

const STATES: Record<string, string> = {
  ORDER_STATE_PENDING_PAYMENT: "Waiting for the payment to be confirmed…",
  ORDER_STATE_PAID: "Paid",
  ORDER_STATE_CANCELLED: "Cancelled",
  ORDER_STATE_EXPIRED: "Expired: the payment did not arrive in time",
  ORDER_STATE_REFUNDED: "Refunded",
};

export function OrderPage({ order: name }: { order: string }) {
  const id = name.split("/")[1] ?? "";
  const order = useQuery<Order, ApiError>({
    queryKey: ["order", name],
    queryFn: async () => (await must(api.GET("/v1/orders/{order}", { params: { path: { order: id } } }))).order ?? {},
    refetchInterval: (query) => (query.state.data?.state === "ORDER_STATE_PENDING_PAYMENT" ? 2000 : false),
  });
  const paid = order.data?.state === "ORDER_STATE_PAID";
  const tickets = useQuery<Ticket[], ApiError>({
    queryKey: ["tickets", name],
    enabled: paid,
    queryFn: async () => (await must(api.GET("/v1/tickets", { params: { query: { order: name } } }))).tickets ?? [],
  });
  const pdf = useMutation<undefined, Error, Ticket>({
    mutationFn: (t) => download(`/v1/${t.name ?? ""}/pdf`, `ticket-${t.seatId ?? ""}.pdf`),
  });
  const refund = useMutation<Order, ApiError>({
    mutationFn: async () => {
      const body = { name, requestId: crypto.randomUUID() };
      const answer = await must(api.POST("/v1/orders/{order}:requestRefund", { params: { path: { order: id } }, body }));
      return answer.order ?? {};
    },
    onSuccess: () => void order.refetch(),
  });
  if (order.error) return <Problem error={order.error} retry={() => void order.refetch()} />;
  if (!order.data) return <p aria-busy="true">Loading your order…</p>;
  const o = order.data;
  return (
    <main>
      <h1>Order {o.reference}</h1>
      <p role="status">{STATES[o.state ?? ""] ?? o.state}</p>
      <p>
        {o.items?.length ?? 0} seats · {money(o.totalMinor ?? 0, o.currencyCode ?? "LKR")}
      </p>
      {tickets.error && <Problem error={tickets.error} retry={() => void tickets.refetch()} />}
      <ul className="tickets">
        {tickets.data?.map((t) => (
          <li key={t.name}>
            <QrCode text={t.code ?? ""} label={`Ticket QR code for seat ${t.seatId ?? ""}`} />
            <span>Seat {t.seatId}</span>
            <button type="button" onClick={() => { pdf.mutate(t); }} disabled={pdf.isPending}>
              PDF
            </button>
          </li>
        ))}
      </ul>
      {paid && (
        <button type="button" onClick={() => { refund.mutate(); }} disabled={refund.isPending}>
          Request a refund
        </button>
      )}
      {pdf.error && <Problem error={pdf.error} />}
      {refund.error && <Problem error={refund.error} />}
    </main>
  );
}
