// The waiting room on an event's page. Before the sale opens: join the pre-queue and see the queue's
// commitment. After the open: your position and estimated wait, streamed; on admission the pass that
// holds take (kept for the page), and the revealed seed with how to check the order yourself.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, must } from "../api/client";
import { ApiError } from "../api/errors";
import { followNdjson } from "../api/ndjson";
import type { components } from "../api/schema";
import { currentToken } from "../auth/auth";

export type Queue = components["schemas"]["apextick.waitingroom.v1.Queue"];
type Reading = components["schemas"]["apextick.waitingroom.v1.WatchQueuePositionResponse"];

export interface Admission {
  pass: string;
  expiresAt: string;
}

const idOf = (event: string) => event.split("/")[1] ?? "";

/** The event's queue; `null` when it sells without one. */
export function useQueue(event: string) {
  return useQuery<Queue | null, ApiError>({
    queryKey: ["queue", event],
    queryFn: async () => {
      try {
        const answer = await must(api.GET("/v1/events/{event}/queue", { params: { path: { event: idOf(event) } } }));
        return answer.queue ?? null;
      } catch (error) {
        if (error instanceof ApiError && error.reason === "QUEUE_CLOSED") return null;
        throw error;
      }
    },
    refetchInterval: 5000,
  });
}

export const queueActive = (queue: Queue | null | undefined) =>
  queue?.state === "QUEUE_STATE_PRE_QUEUE" || queue?.state === "QUEUE_STATE_OPEN";

/** The caller's place as the server streams it (NDJSON through the edge), reopened after a drop. */
function usePosition(event: string, watching: boolean): Reading | null {
  const [reading, setReading] = useState<Reading | null>(null);
  useEffect(() => {
    if (!watching) return undefined;
    const stop = new AbortController();
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const token = await currentToken();
          await followNdjson(`/v1/events/${idOf(event)}/queue:watch`, stop.signal,
            (value) => { setReading(value as Reading); }, token ? { Authorization: `Bearer ${token}` } : {});
        } catch {
          // reconnect below: the place belongs to the identity, not to the stream
        }
        await new Promise((resume) => setTimeout(resume, 2000));
      }
    };
    void run();
    return () => { stop.abort(); };
  }, [event, watching]);
  return reading;
}

function minutes(duration: string | undefined): string {
  const seconds = Number.parseFloat(duration ?? "0");
  return seconds < 60 ? "under a minute" : `about ${Math.round(seconds / 60)} min`;
}

export function QueuePanel({ event, queue, signedIn, onAdmitted }: {
  event: string; queue: Queue; signedIn: boolean; onAdmitted: (admission: Admission | null) => void;
}) {
  const [joined, setJoined] = useState(false);
  const reading = usePosition(event, joined);
  const join = useMutation<unknown, ApiError>({
    mutationFn: () =>
      must(api.POST("/v1/events/{event}/queue:join", {
        params: { path: { event: idOf(event) } }, body: { event, requestId: crypto.randomUUID() },
      })),
    onSuccess: () => { setJoined(true); },
    onError: (error) => { if (error.reason === "QUEUE_ALREADY_JOINED") setJoined(true); },
  });
  const leave = useMutation<unknown, ApiError>({
    mutationFn: () =>
      must(api.POST("/v1/events/{event}/queue:leave", { params: { path: { event: idOf(event) } }, body: { event } })),
    onSuccess: () => { setJoined(false); onAdmitted(null); },
  });
  useEffect(() => {
    onAdmitted(reading?.queuePass ? { pass: reading.queuePass, expiresAt: reading.passExpiresAt ?? "" } : null);
  }, [reading?.queuePass, reading?.passExpiresAt, onAdmitted]);

  const open = queue.state === "QUEUE_STATE_OPEN";
  return (
    <section className="queue" aria-label="Waiting room">
      <h2>Waiting room</h2>
      <p>
        {open ? "The sale is open: people are let in at " : "The sale has not opened. Everyone who joins before it is shuffled fairly at "}
        {open ? `${queue.admissionsPerMinute ?? 0} a minute.` : `${queue.opensAt ? new Date(queue.opensAt).toLocaleString() : "the open"}.`}
      </p>
      {!joined && signedIn && (
        <button type="button" onClick={() => { join.mutate(); }} disabled={join.isPending}>Join the queue</button>
      )}
      {join.error && join.error.reason !== "QUEUE_ALREADY_JOINED" && <p role="alert">{join.error.human}</p>}
      {joined && reading && !reading.queuePass && (
        <p role="status" aria-live="polite">
          {reading.position ? `You are number ${reading.position} in line · wait ${minutes(reading.estimatedWait)}` : "You are in the pre-queue: your place is drawn at the open."}
        </p>
      )}
      {reading?.queuePass && (
        <p role="status">It is your turn: hold your seats before {new Date(reading.passExpiresAt ?? "").toLocaleTimeString()}.</p>
      )}
      {joined && <button type="button" onClick={() => { leave.mutate(); }}>Leave the queue</button>}
      <details>
        <summary>Is the order fair?</summary>
        <p>Commitment (SHA-256, published before the open): <code>{queue.commitment}</code></p>
        {queue.revealedSeed ? (
          <>
            <p>Revealed seed: <code>{queue.revealedSeed}</code></p>
            <p>
              Check it yourself: <code>apextick queue verify {event} --rest {window.location.origin}</code>, or read the{" "}
              <a href={`/v1/events/${idOf(event)}/queue/entries?pageSize=10000`}>published entries</a>.
            </p>
          </>
        ) : (
          <p>The seed is revealed at the open; then anyone can recompute the order.</p>
        )}
      </details>
    </section>
  );
}
