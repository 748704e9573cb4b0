import type { components } from "./schema";

type S = components["schemas"];
export type Event = S["apextick.catalog.v1.Event"];
export type EventSeat = S["apextick.catalog.v1.EventSeat"];
export type PriceTier = S["apextick.catalog.v1.PriceTier"];
export type Hold = S["apextick.inventory.v1.Hold"];
export type SeatStatus = NonNullable<EventSeat["status"]>;
export type Order = S["apextick.orders.v1.Order"];
export type Ticket = S["apextick.tickets.v1.Ticket"];
