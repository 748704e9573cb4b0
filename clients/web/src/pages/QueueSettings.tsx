// The organizer's switch for an event's waiting room, on its dashboard: on or off, the outflow rate
// and the pass lifetime. The service accepts it only before the sale opens (the commitment is made
// then); after that the form says why it cannot change.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, must } from "../api/client";
import type { ApiError } from "../api/errors";
import type { Queue } from "./QueuePanel";

export function QueueSettings({ event, queue }: { event: string; queue: Queue | null }) {
  const client = useQueryClient();
  const [enabled, setEnabled] = useState(queue?.state !== undefined && queue.state !== "QUEUE_STATE_OFF");
  const [rate, setRate] = useState(queue?.admissionsPerMinute ?? 600);
  const [minutes, setMinutes] = useState(Math.round(Number.parseFloat(queue?.passLifetime ?? "300") / 60));
  const save = useMutation<unknown, ApiError>({
    mutationFn: () =>
      must(api.POST("/v1/events/{event}/queue:configure", {
        params: { path: { event: event.split("/")[1] ?? "" } },
        body: { event, enabled, admissionsPerMinute: rate, passLifetime: `${minutes * 60}s` },
      })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["queue", event] }),
  });
  return (
    <form className="queue-settings" aria-label="Waiting room settings" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <label>
        <input type="checkbox" checked={enabled} onChange={(e) => { setEnabled(e.target.checked); }} /> Waiting room
      </label>{" "}
      <label>
        Admissions a minute{" "}
        <input type="number" min={1} max={60000} value={rate} onChange={(e) => { setRate(Number(e.target.value)); }} />
      </label>{" "}
      <label>
        Pass lifetime (minutes){" "}
        <input type="number" min={1} max={60} value={minutes} onChange={(e) => { setMinutes(Number(e.target.value)); }} />
      </label>{" "}
      <button type="submit" disabled={save.isPending}>Save</button>
      {save.isSuccess && <p role="status">Saved.</p>}
      {save.error && <p role="alert">{save.error.human}</p>}
    </form>
  );
}
