// The seat map as SVG from the seat map's own coordinates: colour by price tier, shape and pattern by
// status, so colour is never the only cue. Every seat is a button with an accessible name; arrow keys
// move between seats and Enter or Space selects.
import { type KeyboardEvent, useMemo } from "react";

import type { EventSeat, PriceTier, SeatStatus } from "../api/types";

const PALETTE = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"];

export interface SeatMapProps {
  seats: EventSeat[];
  tiers: PriceTier[];
  statuses: ReadonlyMap<string, SeatStatus>;
  selected: ReadonlySet<string>;
  mine: ReadonlySet<string>;
  onToggle: (seatId: string) => void;
}

function label(seat: EventSeat, tier: PriceTier | undefined, state: string): string {
  return `Section ${seat.sectionId ?? ""}, row ${seat.row ?? ""}, seat ${seat.number ?? ""}, ${tier?.displayName ?? ""}, ${state}`;
}

export function SeatMap({ seats, tiers, statuses, selected, mine, onToggle }: SeatMapProps) {
  const colours = useMemo(
    () => new Map(tiers.map((t, i) => [t.name?.split("/").pop() ?? "", PALETTE[i % PALETTE.length] ?? "#555"])),
    [tiers],
  );
  const byTier = useMemo(() => new Map(tiers.map((t) => [t.name?.split("/").pop() ?? "", t])), [tiers]);
  const xs = seats.map((s) => s.x ?? 0);
  const ys = seats.map((s) => s.y ?? 0);
  const [minX, minY] = [Math.min(...xs, 0), Math.min(...ys, 0)];
  const width = Math.max(...xs, 1) - minX + 2;
  const height = Math.max(...ys, 1) - minY + 2;
  const move = (e: KeyboardEvent<SVGGElement>, index: number) => {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = document.querySelector<SVGGElement>(`[data-seat-index="${index + step}"]`);
    next?.focus();
  };
  return (
    <svg
      className="seatmap"
      viewBox={`${minX - 1} ${minY - 1} ${width} ${height}`}
      role="group"
      aria-label="Seat map"
      style={{ aspectRatio: `${width} / ${height}` }}
    >
      {seats.map((seat, index) => {
        const id = seat.seatId ?? "";
        const status = statuses.get(id) ?? seat.status ?? "SEAT_STATUS_AVAILABLE";
        const held = mine.has(id);
        const free = status === "SEAT_STATUS_AVAILABLE";
        const chosen = selected.has(id);
        const state = held ? "held by you" : chosen ? "selected" : free ? "available" : "taken";
        const tier = byTier.get(seat.priceTierId ?? "");
        return (
          <g
            key={id}
            role="button"
            tabIndex={free || chosen ? 0 : -1}
            aria-label={label(seat, tier, state)}
            aria-pressed={chosen}
            aria-disabled={!free && !chosen}
            data-seat={id}
            data-seat-index={index}
            data-state={state}
            className={`seat ${state.replace(/ /g, "-")}`}
            onClick={() => {
              if (free || chosen) onToggle(id);
            }}
            onKeyDown={(e) => {
              if ((e.key === "Enter" || e.key === " ") && (free || chosen)) {
                e.preventDefault();
                onToggle(id);
              } else move(e, index);
            }}
          >
            <circle
              cx={seat.x ?? 0}
              cy={seat.y ?? 0}
              r={0.42}
              fill={free || chosen || held ? (colours.get(seat.priceTierId ?? "") ?? "#555") : "#9ca3af"}
              stroke={chosen || held ? "#111" : "none"}
              strokeWidth={0.12}
            />
            {!free && !held && !chosen && (
              <path d={`M${(seat.x ?? 0) - 0.22} ${(seat.y ?? 0) - 0.22}l0.44 0.44m0 -0.44l-0.44 0.44`} stroke="#fff" strokeWidth={0.1} />
            )}
          </g>
        );
      })}
    </svg>
  );
}
