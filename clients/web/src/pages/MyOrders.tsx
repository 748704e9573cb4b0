import { useQuery } from "@tanstack/react-query";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { Order } from "../api/types";
import { money } from "../money";
import { navigate } from "../router";
import { Problem } from "./Problem";

export function MyOrders() {
  const orders = useQuery<Order[], ApiError>({
    queryKey: ["my-orders"],
    queryFn: async () => (await must(api.GET("/v1/orders"))).orders ?? [],
  });
  if (orders.error) return <Problem error={orders.error} retry={() => void orders.refetch()} />;
  if (!orders.data) return <p aria-busy="true">Loading your orders…</p>;
  return (
    <main>
      <h1>My orders</h1>
      {orders.data.length === 0 && <p>No orders yet.</p>}
      <ul className="cards">
        {orders.data.map((o) => (
          <li key={o.name}>
            <a href={`/${o.name ?? ""}`} onClick={(e) => { e.preventDefault(); navigate(`/${o.name ?? ""}`); }}>
              <strong>{o.reference}</strong>
              <span>{o.state?.replace("ORDER_STATE_", "").toLowerCase().replace("_", " ")}</span>
              <span>{money(o.totalMinor ?? 0, o.currencyCode ?? "LKR")}</span>
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
