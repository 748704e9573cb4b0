// The seat map editor's model: sections as grids, laid out exactly as the booking service lays them out
// (booking/domain/venue.py: one layout unit between seats and rows, rows labelled A, B, ... AA), so the
// preview is the map the buyers will see. Sections stack front to back, centred, with a gap between.
import type { EventSeat } from "../api/types";

export interface SectionDraft {
  sectionId: string;
  displayName: string;
  rows: number;
  seatsPerRow: number;
  tier: string; // a tier id from the tier list
}

export interface TierDraft {
  tierId: string;
  displayName: string;
  price: string; // in major units, as typed
}

const GAP = 1.5;

export function rowLabel(index: number): string {
  let label = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) label = String.fromCharCode(65 + ((n - 1) % 26)) + label;
  return label;
}

export function origins(sections: SectionDraft[]): { x: number; y: number }[] {
  const widest = Math.max(1, ...sections.map((s) => s.seatsPerRow));
  let y = 0;
  return sections.map((s) => {
    const at = { x: (widest - s.seatsPerRow) / 2, y };
    y += s.rows + GAP;
    return at;
  });
}

/** The seats the service will create, for the live preview. */
export function previewSeats(sections: SectionDraft[]): EventSeat[] {
  const at = origins(sections);
  return sections.flatMap((s, i) =>
    Array.from({ length: Math.max(0, s.rows) * Math.max(0, s.seatsPerRow) }, (_, k) => {
      const row = Math.floor(k / s.seatsPerRow);
      const number = (k % s.seatsPerRow) + 1;
      return {
        seatId: `${s.sectionId}-${rowLabel(row)}-${String(number)}`, sectionId: s.sectionId, row: rowLabel(row), number,
        x: (at[i]?.x ?? 0) + (number - 1), y: (at[i]?.y ?? 0) + row, priceTierId: s.tier, status: "SEAT_STATUS_AVAILABLE" as const,
      };
    }),
  );
}

export const SECTION_ID = /^[a-z][a-z0-9]{0,19}$/;
export const TIER_ID = /^[a-z][a-z0-9-]{0,29}$/;

/** What is wrong with the draft, in words, before anything is sent; empty when it can be created. */
export function problems(sections: SectionDraft[], tiers: TierDraft[]): string[] {
  const found: string[] = [];
  const ids = new Set<string>();
  for (const s of sections) {
    if (!SECTION_ID.test(s.sectionId)) found.push(`Section id "${s.sectionId}": lowercase letters and digits, starting with a letter.`);
    if (ids.has(s.sectionId)) found.push(`Section id "${s.sectionId}" is used twice.`);
    ids.add(s.sectionId);
    if (s.rows < 1 || s.seatsPerRow < 1) found.push(`Section "${s.sectionId}" needs at least one row and one seat.`);
    if (!tiers.some((t) => t.tierId === s.tier)) found.push(`Section "${s.sectionId}" has no price tier.`);
  }
  for (const t of tiers) {
    if (!TIER_ID.test(t.tierId)) found.push(`Tier id "${t.tierId}": lowercase letters, digits and dashes, starting with a letter.`);
    if (!(Number(t.price) >= 0) || t.price.trim() === "") found.push(`Tier "${t.displayName || t.tierId}" needs a price.`);
  }
  if (!sections.length) found.push("Add at least one section.");
  return found;
}
