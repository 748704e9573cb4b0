// The live seat map: WatchSeatMap through the edge as newline-delimited JSON. The stream starts with a
// snapshot of every seat, then carries one delta per tick (every seat that changed, with its latest
// status); a dropped stream is reopened with backoff, and the snapshot it starts with resyncs whatever
// was missed meanwhile.
import { useEffect, useState } from "react";

import { followNdjson } from "../api/ndjson";
import type { SeatStatus } from "../api/types";

interface Change {
  seatIds?: string[];
  status?: SeatStatus;
}

interface Update {
  snapshot?: { seats?: { seatId?: string; status?: SeatStatus }[] };
  delta?: { changes?: Change[] };
  change?: Change; // what servers before the coalesced delta sent, one change at a time
}

export interface LiveSeats {
  statuses: ReadonlyMap<string, SeatStatus>;
  connected: boolean;
}

const MAX_BACKOFF_MS = 10_000;

export function applyUpdate(current: Map<string, SeatStatus>, update: Update): Map<string, SeatStatus> {
  if (update.snapshot) {
    return new Map((update.snapshot.seats ?? []).map((s) => [s.seatId ?? "", s.status ?? "SEAT_STATUS_AVAILABLE"]));
  }
  const changes = update.delta?.changes ?? (update.change ? [update.change] : []);
  if (changes.length === 0) return current; // a heartbeat
  const next = new Map(current);
  for (const change of changes) {
    if (!change.status) continue;
    for (const id of change.seatIds ?? []) next.set(id, change.status);
  }
  return next;
}

export function useLiveSeats(event: string): LiveSeats {
  const [statuses, setStatuses] = useState<Map<string, SeatStatus>>(new Map());
  const [connected, setConnected] = useState(true);
  useEffect(() => {
    const stop = new AbortController();
    const stopped = () => stop.signal.aborted; // read afresh after each await
    let backoff = 500;
    const run = async () => {
      while (!stopped()) {
        try {
          await followNdjson(`/v1/${event}/seats:watch`, stop.signal, (update) => {
            setConnected(true);
            backoff = 500;
            setStatuses((current) => applyUpdate(current, update as Update));
          });
        } catch {
          // A dropped stream: reopened below. An abort (the page left) ends the loop there.
        }
        if (stopped()) return;
        setConnected(false);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    };
    void run();
    return () => {
      stop.abort();
    };
  }, [event]);
  return { statuses, connected };
}
