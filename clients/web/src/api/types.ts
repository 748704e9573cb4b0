import type { components } from "./schema";

type S = components["schemas"];
export type Event = S["apextick.catalog.v1.Event"];
export type EventSeat = S["apextick.catalog.v1.EventSeat"];
export type PriceTier = S["apextick.catalog.v1.PriceTier"];
export type Hold = S["apextick.inventory.v1.Hold"];
export type SeatStatus = NonNullable<EventSeat["status"]>;
export type Order = S["apextick.orders.v1.Order"];
export type Ticket = S["apextick.tickets.v1.Ticket"];
export type OfflineBundle = S["apextick.gates.v1.OfflineBundle"];
export type ScanAnswer = S["apextick.gates.v1.ScanTicketResponse"];
export type OfflineScan = S["apextick.gates.v1.OfflineScan"];
export type OfflineScanResult = S["apextick.gates.v1.OfflineScanResult"];
export type GateStation = S["apextick.gates.v1.GateStation"];
