import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

import { finishSignIn, roles, signIn, signOut, signUp } from "./auth/auth";
import { useUser } from "./auth/useUser";
import { Dashboard } from "./pages/Dashboard";
import { EventList } from "./pages/EventList";
import { EventPage, LAST_ORDER } from "./pages/EventPage";
import { Admin } from "./pages/Admin";
import { Attendees } from "./pages/Attendees";
import { GateHome, GatePage } from "./pages/GatePage";
import { NewEvent } from "./pages/NewEvent";
import { Organize } from "./pages/Organize";
import { MyOrders } from "./pages/MyOrders";
import { OrderPage } from "./pages/OrderPage";
import { Problem } from "./pages/Problem";
import { match, navigate, usePath } from "./router";
import "./styles.css";

const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });

function Callback() {
  const [failed, setFailed] = useState<Error | null>(null);
  useEffect(() => {
    finishSignIn().then(
      (back) => {
        navigate(back);
      },
      (error: unknown) => {
        setFailed(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }, []);
  return failed ? <Problem error={failed} retry={() => void signIn()} /> : <p aria-busy="true">Signing you in…</p>;
}

function Header() {
  const user = useUser();
  return (
    <header>
      <a href="/" onClick={(e) => { e.preventDefault(); navigate("/"); }} className="brand">
        ApexTick
      </a>
      <nav>
        {user ? (
          <>
            <a href="/orders" onClick={(e) => { e.preventDefault(); navigate("/orders"); }}>My orders</a>
            {roles(user).includes("organizer") && (
              <a href="/organize" onClick={(e) => { e.preventDefault(); navigate("/organize"); }}>Organize</a>
            )}
            {roles(user).includes("admin") && (
              <a href="/admin" onClick={(e) => { e.preventDefault(); navigate("/admin"); }}>Admin</a>
            )}
            {roles(user).includes("gate") && (
              <a href="/gate" onClick={(e) => { e.preventDefault(); navigate("/gate"); }}>Gate</a>
            )}
            <span>{user.profile.preferred_username}</span>
            <button type="button" onClick={() => void signOut()}>Sign out</button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => void signIn()}>Sign in</button>
            <button type="button" onClick={() => void signUp()}>Sign up</button>
          </>
        )}
      </nav>
    </header>
  );
}

function Screen() {
  const path = usePath();
  if (path === "/callback") return <Callback />;
  const gate = match("/gate/events/:event/gateStations/:station", path);
  if (gate) return <GatePage station={`events/${gate.event ?? ""}/gateStations/${gate.station ?? ""}`} />;
  if (path === "/gate") return <GateHome />;
  if (path === "/admin") return <Admin />;
  if (path === "/organize") return <Organize />;
  if (path === "/organize/new") return <NewEvent />;
  const people = match("/events/:id/attendees", path);
  if (people) return <Attendees event={`events/${people.id ?? ""}`} />;
  const board = match("/events/:id/dashboard", path);
  if (board) return <Dashboard event={`events/${board.id ?? ""}`} />;
  const event = match("/events/:id", path);
  if (event) return <EventPage event={`events/${event.id ?? ""}`} />;
  if (path === "/orders/return") {
    // Back from the payment page: the order checkout made, in this tab.
    const last = window.sessionStorage.getItem(LAST_ORDER);
    return last ? <OrderPage order={last} /> : <MyOrders />;
  }
  const order = match("/orders/:id", path);
  if (order) return <OrderPage order={`orders/${order.id ?? ""}`} />;
  if (path === "/orders") return <MyOrders />;
  if (path === "/" || path === "/events") return <EventList />;
  return <p role="alert">There is no page here. <a href="/">See the events</a>.</p>;
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queries}>
        <Header />
        <Screen />
      </QueryClientProvider>
    </StrictMode>,
  );
}
