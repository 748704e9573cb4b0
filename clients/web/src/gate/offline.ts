// Offline mode: the station's downloaded bundle (every live ticket of the event, the void ones and the
// signing keys) decides on the device, scans queue in localStorage and upload when the network is back.
// The service then records each one once (its nonce) and reports a ticket admitted twice offline as a
// conflict rather than hiding it.
import type { OfflineBundle, OfflineScan } from "../api/types";
import { parse, verify } from "./codes";
import type { Verdict } from "./verdict";

interface Local {
  bundle: OfflineBundle | null;
  admitted: Record<string, string>; // ticket id -> when this device admitted it
  queue: OfflineScan[];
}

const key = (station: string) => `apextick.gate:${station}`;

export function load(station: string): Local {
  const raw = window.localStorage.getItem(key(station));
  return raw ? (JSON.parse(raw) as Local) : { bundle: null, admitted: {}, queue: [] };
}

export function save(station: string, local: Local): void {
  window.localStorage.setItem(key(station), JSON.stringify(local));
}

const idOf = (name: string) => name.split("/").pop() ?? "";

/** Decides a scan from the bundle alone and queues it; the verdict says it was offline. */
export async function decide(station: string, code: string, nonce: string): Promise<Verdict> {
  const local = load(station);
  const bundle = local.bundle;
  const base = { seat: "", detail: "", firstGate: "", firstTime: "", offline: true };
  if (!bundle) return { ...base, kind: "INVALID", detail: "No offline bundle on this device: download it while online." };
  const claims = parse(code);
  const genuine = claims !== null && (await verify(claims, bundle.keys ?? []));
  const now = new Date().toISOString();
  const ticket = (bundle.tickets ?? []).find((t) => claims && idOf(t.ticket ?? "") === claims.ticketId);
  let verdict: Verdict;
  if (!claims || !genuine) verdict = { ...base, kind: "INVALID", detail: "This is not a genuine ApexTick ticket." };
  else if (`events/${claims.eventId}` !== bundle.event) verdict = { ...base, kind: "INVALID", detail: "This ticket is for another event." };
  else if ((bundle.voidTickets ?? []).some((v) => idOf(v) === claims.ticketId) || !ticket)
    verdict = { ...base, seat: claims.seatId, kind: "INVALID", detail: "This ticket was cancelled or refunded." };
  else if (ticket.admitted || local.admitted[claims.ticketId]) {
    verdict = {
      ...base, seat: claims.seatId, kind: "DUPLICATE", detail: "Already admitted",
      firstGate: local.admitted[claims.ticketId] ? "this gate (offline)" : "a gate, before the bundle was downloaded",
      firstTime: local.admitted[claims.ticketId] ?? "",
    };
  } else {
    local.admitted[claims.ticketId] = now;
    verdict = { ...base, seat: claims.seatId, kind: "ADMIT", detail: `Seat ${claims.seatId}` };
  }
  local.queue.push({ scanNonce: nonce, code, scanTime: now, deviceAdmitted: verdict.kind === "ADMIT" });
  save(station, local);
  return verdict;
}
