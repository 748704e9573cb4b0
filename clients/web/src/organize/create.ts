// Creating an event from the editor's draft: venue (unless an existing one is chosen), seat map, event,
// its price tiers, then publishing. Each step carries a request id made once per draft, so pressing the
// button again after a failure part-way repeats nothing that already happened: the service answers a
// repeated request id with its first result.
import { api, must } from "../api/client";
import { origins, type SectionDraft, type TierDraft } from "./layout";

export interface EventDraft {
  venue: string; // an existing venues/{id}, or "" to create the one below
  venueName: string;
  city: string;
  countryCode: string;
  timeZone: string;
  mapName: string;
  sections: SectionDraft[];
  tiers: TierDraft[];
  displayName: string;
  category: string;
  description: string;
  currencyCode: string;
  maxSeatsPerCustomer: number;
  startTime: string; // datetime-local values, in the organizer's time zone
  endTime: string;
  saleStartTime: string;
  saleEndTime: string;
  refundable: boolean;
  refundHours: number;
  publish: boolean;
}

export type RequestIds = Record<string, string>;

const iso = (local: string) => new Date(local).toISOString();
const idOf = (name: string | undefined) => (name ?? "").split("/").pop() ?? "";

/** The new event's name, `events/{id}`. */
export async function createEvent(draft: EventDraft, ids: RequestIds, step: (what: string) => void): Promise<string> {
  const rid = (key: string) => (ids[key] ??= crypto.randomUUID());
  let venue = draft.venue;
  if (!venue) {
    step("Creating the venue…");
    const body = { displayName: draft.venueName, city: draft.city, countryCode: draft.countryCode.toUpperCase(), timeZone: draft.timeZone };
    venue = (await must(api.POST("/v1/venues", { params: { query: { requestId: rid("venue") } }, body }))).venue?.name ?? "";
  }
  step("Creating the seat map…");
  const at = origins(draft.sections);
  const sections = draft.sections.map((s, i) => ({
    sectionId: s.sectionId, displayName: s.displayName || s.sectionId,
    grid: { rowCount: s.rows, seatsPerRow: s.seatsPerRow }, originX: at[i]?.x ?? 0, originY: at[i]?.y ?? 0,
  }));
  const mapBody = { parent: venue, displayName: draft.mapName, sections, requestId: rid("map") };
  const map = (await must(api.POST("/v1/venues/{venue}/seatMaps", { params: { path: { venue: idOf(venue) } }, body: mapBody }))).seatMap;
  step("Creating the event…");
  const eventBody = {
    displayName: draft.displayName, category: draft.category, description: draft.description, seatMap: map?.name ?? "",
    currencyCode: draft.currencyCode.toUpperCase(), maxSeatsPerCustomer: draft.maxSeatsPerCustomer,
    startTime: iso(draft.startTime), endTime: iso(draft.endTime), saleStartTime: iso(draft.saleStartTime), saleEndTime: iso(draft.saleEndTime),
    refundPolicy: { refundable: draft.refundable, untilHoursBeforeStart: draft.refundable ? draft.refundHours : 0 },
  };
  const event = (await must(api.POST("/v1/events", { params: { query: { requestId: rid("event") } }, body: eventBody }))).event?.name ?? "";
  for (const tier of draft.tiers) {
    step(`Pricing ${tier.displayName || tier.tierId}…`);
    const body = {
      displayName: tier.displayName || tier.tierId, priceMinor: String(Math.round(Number(tier.price) * 100)),
      sectionIds: draft.sections.filter((s) => s.tier === tier.tierId).map((s) => s.sectionId),
    };
    const query = { priceTierId: tier.tierId, requestId: rid(`tier:${tier.tierId}`) };
    await must(api.POST("/v1/events/{event}/priceTiers", { params: { path: { event: idOf(event) }, query }, body }));
  }
  if (draft.publish) await publishEvent(event, rid("publish"), step);
  return event;
}

export async function publishEvent(name: string, requestId: string, step: (what: string) => void = () => undefined): Promise<undefined> {
  step("Publishing…");
  const body = { name, requestId };
  await must(api.POST("/v1/events/{event}:publish", { params: { path: { event: idOf(name) } }, body }));
  return undefined;
}

export async function cancelEvent(name: string, reason: string, requestId: string): Promise<undefined> {
  const body = { name, reason, requestId };
  await must(api.POST("/v1/events/{event}:cancel", { params: { path: { event: idOf(name) } }, body }));
  return undefined;
}
