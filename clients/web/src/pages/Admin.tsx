// The admin's desk: users (search, disable, grant and revoke organizer and gate), every order (search,
// refund), the audit log of admin actions, and the notification messages that went to the dead-letter
// queue (replayed by id). Every change carries a request id, so a double click changes nothing twice.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { Order } from "../api/types";
import type { components } from "../api/schema";
import { money } from "../money";
import { Problem } from "./Problem";

type User = components["schemas"]["apextick.admin.v1.User"];
type Grantable = "GRANTABLE_ROLE_ORGANIZER" | "GRANTABLE_ROLE_GATE";
const ROLES: [string, Grantable][] = [["organizer", "GRANTABLE_ROLE_ORGANIZER"], ["gate", "GRANTABLE_ROLE_GATE"]];
const idOf = (name: string | undefined) => (name ?? "").split("/").pop() ?? "";

function UserRow({ user, changed }: { user: User; changed: () => void }) {
  const change = useMutation<unknown, ApiError, () => Promise<unknown>>({ mutationFn: (call) => call(), onSuccess: changed });
  const path = { params: { path: { user: idOf(user.name) } } };
  const name = user.name ?? "";
  const toggle = () => { change.mutate(() => must(api.POST("/v1/users/{user}:setEnabled", { ...path, body: { name, enabled: !user.enabled, requestId: crypto.randomUUID() } }))); };
  const role = (grant: boolean, value: Grantable) => {
    const body = { name, role: value, requestId: crypto.randomUUID() };
    change.mutate(() => (grant ? must(api.POST("/v1/users/{user}:grantRole", { ...path, body })) : must(api.POST("/v1/users/{user}:revokeRole", { ...path, body }))));
  };
  return (
    <tr>
      <td>{user.username}</td>
      <td>{user.email}</td>
      <td>{(user.roles ?? []).join(", ")}</td>
      <td>
        <button type="button" onClick={toggle} disabled={change.isPending}>{user.enabled ? "Disable" : "Enable"}</button>
        {ROLES.map(([label, value]) => {
          const has = (user.roles ?? []).includes(label);
          return (
            <button key={label} type="button" onClick={() => { role(!has, value); }} disabled={change.isPending}>
              {has ? `Revoke ${label}` : `Grant ${label}`}
            </button>
          );
        })}
        {change.error && <span role="alert">{change.error.human}</span>}
      </td>
    </tr>
  );
}

function Users() {
  const [query, setQuery] = useState("");
  const users = useQuery<User[], ApiError>({
    queryKey: ["admin-users", query],
    queryFn: async () => (await must(api.GET("/v1/users", { params: { query: { query } } }))).users ?? [],
  });
  return (
    <section>
      <h2>Users</h2>
      <label htmlFor="user-query">Search users</label> <input id="user-query" value={query} onChange={(e) => { setQuery(e.target.value); }} />
      {users.error ? <Problem error={users.error} retry={() => void users.refetch()} /> : !users.data ? <p aria-busy="true">Loading…</p> : (
        <table>
          <thead><tr><th>User</th><th>Email</th><th>Roles</th><th /></tr></thead>
          <tbody>{users.data.map((u) => <UserRow key={u.name} user={u} changed={() => void users.refetch()} />)}</tbody>
        </table>
      )}
    </section>
  );
}

function OrderRow({ order, changed }: { order: Order; changed: () => void }) {
  const [requestId] = useState(() => crypto.randomUUID());
  const refund = useMutation<unknown, ApiError>({
    mutationFn: () => must(api.POST("/v1/orders/{order}:adminRefund", { params: { path: { order: idOf(order.name) } }, body: { name: order.name ?? "", requestId } })),
    onSuccess: changed,
  });
  return (
    <tr>
      <td>{order.reference}</td>
      <td>{order.customer}</td>
      <td>{order.state?.replace("ORDER_STATE_", "").toLowerCase().replace("_", " ")}</td>
      <td>{money(order.totalMinor ?? 0, order.currencyCode ?? "LKR")}</td>
      <td>
        {order.state === "ORDER_STATE_PAID" && <button type="button" onClick={() => { refund.mutate(); }} disabled={refund.isPending}>Refund</button>}
        {refund.error && <span role="alert">{refund.error.human}</span>}
      </td>
    </tr>
  );
}

function Orders() {
  const [query, setQuery] = useState("");
  const orders = useQuery<Order[], ApiError>({
    queryKey: ["admin-orders", query],
    queryFn: async () => (await must(api.GET("/v1/orders:search", { params: { query: { query } } }))).orders ?? [],
  });
  return (
    <section>
      <h2>Orders</h2>
      <label htmlFor="order-query">Reference, name, email or order id</label> <input id="order-query" value={query} onChange={(e) => { setQuery(e.target.value); }} />
      {orders.error ? <Problem error={orders.error} retry={() => void orders.refetch()} /> : !orders.data ? <p aria-busy="true">Loading…</p> : (
        <table>
          <thead><tr><th>Order</th><th>Customer</th><th>State</th><th>Total</th><th /></tr></thead>
          <tbody>{orders.data.map((o) => <OrderRow key={o.name} order={o} changed={() => void orders.refetch()} />)}</tbody>
        </table>
      )}
    </section>
  );
}

function Audit() {
  const entries = useQuery({ queryKey: ["audit"], queryFn: async () => (await must(api.GET("/v1/auditEntries"))).entries ?? [] });
  return (
    <section>
      <h2>Audit log</h2>
      {entries.error ? <Problem error={entries.error} retry={() => void entries.refetch()} /> : !entries.data ? <p aria-busy="true">Loading…</p> : (
        <table>
          <thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Detail</th></tr></thead>
          <tbody>
            {entries.data.map((e) => (
              <tr key={`${e.requestId ?? ""}${e.action ?? ""}`}><td>{e.time ? new Date(e.time).toLocaleString() : ""}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target}</td><td>{e.detail}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DeadLetters() {
  const letters = useQuery({ queryKey: ["dead-letters"], queryFn: async () => (await must(api.GET("/v1/deadLetters"))).deadLetters ?? [] });
  const replay = useMutation<unknown, ApiError, string[]>({
    mutationFn: (messageIds) => must(api.POST("/v1/deadLetters:replay", { body: { messageIds, requestId: crypto.randomUUID() } })),
    onSuccess: () => void letters.refetch(),
  });
  return (
    <section>
      <h2>Dead letters</h2>
      {letters.error ? <Problem error={letters.error} retry={() => void letters.refetch()} /> : !letters.data ? <p aria-busy="true">Loading…</p> : letters.data.length === 0 ? <p>None: every message was handled.</p> : (
        <>
          <button type="button" onClick={() => { replay.mutate(letters.data.map((l) => l.messageId ?? "")); }} disabled={replay.isPending}>Replay all</button>
          <table>
            <thead><tr><th>Message</th><th>Type</th><th>Why</th><th>Deaths</th></tr></thead>
            <tbody>{letters.data.map((l) => <tr key={l.messageId}><td>{l.messageId}</td><td>{l.type}</td><td>{l.reason}</td><td>{l.deathCount}</td></tr>)}</tbody>
          </table>
        </>
      )}
      {replay.error && <p role="alert">{replay.error.human}</p>}
    </section>
  );
}

export function Admin() {
  return (
    <main className="admin">
      <h1>Administration</h1>
      <Users />
      <Orders />
      <Audit />
      <DeadLetters />
    </main>
  );
}
