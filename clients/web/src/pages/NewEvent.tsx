// The organizer builds an event in one place: the venue (new or one of theirs), a seat map drawn from
// grid sections with a live preview, price tiers assigned to sections, the dates (the sale opens at its
// start time: a future one schedules it), the refund policy, then creates it as a draft or publishes it.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";

import { api, must } from "../api/client";
import { ApiError } from "../api/errors";
import { createEvent, type EventDraft } from "../organize/create";
import { previewSeats, problems, type SectionDraft, type TierDraft } from "../organize/layout";
import { navigate } from "../router";
import { SeatMap } from "../seatmap/SeatMap";

const local = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
const DAY = 86_400_000;

function initial(): EventDraft {
  const start = new Date(Date.now() + 30 * DAY);
  start.setHours(19, 0, 0, 0);
  return {
    venue: "", venueName: "", city: "", countryCode: "LK", timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    mapName: "Main layout", displayName: "", category: "concert", description: "", currencyCode: "LKR", maxSeatsPerCustomer: 4,
    startTime: local(start), endTime: local(new Date(start.getTime() + 3 * 3_600_000)), saleStartTime: local(new Date()),
    saleEndTime: local(new Date(start.getTime() - 3_600_000)), refundable: true, refundHours: 48, publish: true,
    sections: [{ sectionId: "floor", displayName: "Floor", rows: 6, seatsPerRow: 12, tier: "standard" }],
    tiers: [{ tierId: "standard", displayName: "Standard", price: "5000" }],
  };
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return <label className="field"><span>{label}</span>{children}</label>;
}

export function NewEvent() {
  const [draft, setDraft] = useState(initial);
  const [step, setStep] = useState("");
  const [error, setError] = useState("");
  const ids = useRef({}); // request ids for this draft: a retry repeats nothing already done
  const venues = useQuery({ queryKey: ["venues"], queryFn: async () => (await must(api.GET("/v1/venues"))).venues ?? [] });
  const set = <K extends keyof EventDraft>(key: K, value: EventDraft[K]) => { setDraft({ ...draft, [key]: value }); };
  const setSection = (i: number, change: Partial<SectionDraft>) => {
    set("sections", draft.sections.map((s, k) => (k === i ? { ...s, ...change } : s)));
  };
  const setTier = (i: number, change: Partial<TierDraft>) => { set("tiers", draft.tiers.map((t, k) => (k === i ? { ...t, ...change } : t))); };
  const seats = useMemo(() => previewSeats(draft.sections), [draft.sections]);
  const tiers = draft.tiers.map((t) => ({ name: `p/${t.tierId}`, displayName: t.displayName, priceMinor: "0" }));
  const wrong = problems(draft.sections, draft.tiers);

  const submit = async () => {
    setError("");
    try {
      const event = await createEvent(draft, ids.current, setStep);
      ids.current = {};
      navigate(`/${event}/dashboard`);
    } catch (failure) {
      setStep("");
      setError(failure instanceof ApiError ? `${failure.human} (${failure.message})` : String(failure));
    }
  };

  return (
    <main className="organize">
      <h1>New event</h1>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <fieldset>
          <legend>Event</legend>
          <Field label="Name"><input value={draft.displayName} onChange={(e) => { set("displayName", e.target.value); }} required /></Field>
          <Field label="Category"><input value={draft.category} onChange={(e) => { set("category", e.target.value); }} required /></Field>
          <Field label="Description"><textarea value={draft.description} onChange={(e) => { set("description", e.target.value); }} /></Field>
          <Field label="Starts"><input type="datetime-local" value={draft.startTime} onChange={(e) => { set("startTime", e.target.value); }} required /></Field>
          <Field label="Ends"><input type="datetime-local" value={draft.endTime} onChange={(e) => { set("endTime", e.target.value); }} required /></Field>
          <Field label="Sale opens"><input type="datetime-local" value={draft.saleStartTime} onChange={(e) => { set("saleStartTime", e.target.value); }} required /></Field>
          <Field label="Sale closes"><input type="datetime-local" value={draft.saleEndTime} onChange={(e) => { set("saleEndTime", e.target.value); }} required /></Field>
          <Field label="Currency"><input value={draft.currencyCode} maxLength={3} onChange={(e) => { set("currencyCode", e.target.value); }} required /></Field>
          <Field label="Seats per customer"><input type="number" min={1} max={20} value={draft.maxSeatsPerCustomer} onChange={(e) => { set("maxSeatsPerCustomer", Number(e.target.value)); }} /></Field>
          <label className="check"><input type="checkbox" checked={draft.refundable} onChange={(e) => { set("refundable", e.target.checked); }} /> Refunds allowed</label>
          {draft.refundable && <Field label="Until hours before the start"><input type="number" min={0} value={draft.refundHours} onChange={(e) => { set("refundHours", Number(e.target.value)); }} /></Field>}
        </fieldset>
        <fieldset>
          <legend>Venue</legend>
          <Field label="Venue">
            <select aria-label="Venue" value={draft.venue} onChange={(e) => { set("venue", e.target.value); }}>
              <option value="">A new venue</option>
              {(venues.data ?? []).map((v) => <option key={v.name} value={v.name}>{v.displayName} ({v.city})</option>)}
            </select>
          </Field>
          {venues.error && <p role="alert">Your venues could not be loaded; you can still create a new one.</p>}
          {!draft.venue && (
            <>
              <Field label="Venue name"><input value={draft.venueName} onChange={(e) => { set("venueName", e.target.value); }} required /></Field>
              <Field label="City"><input value={draft.city} onChange={(e) => { set("city", e.target.value); }} required /></Field>
              <Field label="Country code"><input value={draft.countryCode} maxLength={2} onChange={(e) => { set("countryCode", e.target.value); }} required /></Field>
              <Field label="Time zone"><input value={draft.timeZone} onChange={(e) => { set("timeZone", e.target.value); }} required /></Field>
            </>
          )}
        </fieldset>
        <fieldset>
          <legend>Price tiers</legend>
          {draft.tiers.map((t, i) => (
            <div className="row" key={i}>
              <Field label="Tier id"><input value={t.tierId} onChange={(e) => { setTier(i, { tierId: e.target.value }); }} /></Field>
              <Field label="Tier name"><input value={t.displayName} onChange={(e) => { setTier(i, { displayName: e.target.value }); }} /></Field>
              <Field label={`Price (${draft.currencyCode})`}><input inputMode="decimal" value={t.price} onChange={(e) => { setTier(i, { price: e.target.value }); }} /></Field>
            </div>
          ))}
          <button type="button" onClick={() => { set("tiers", [...draft.tiers, { tierId: `tier${String(draft.tiers.length + 1)}`, displayName: "", price: "" }]); }}>Add a tier</button>
        </fieldset>
        <fieldset>
          <legend>Seat map</legend>
          <Field label="Layout name"><input value={draft.mapName} onChange={(e) => { set("mapName", e.target.value); }} required /></Field>
          {draft.sections.map((s, i) => (
            <div className="row" key={i}>
              <Field label="Section id"><input value={s.sectionId} onChange={(e) => { setSection(i, { sectionId: e.target.value }); }} /></Field>
              <Field label="Section name"><input value={s.displayName} onChange={(e) => { setSection(i, { displayName: e.target.value }); }} /></Field>
              <Field label="Rows"><input type="number" min={1} max={200} value={s.rows} onChange={(e) => { setSection(i, { rows: Number(e.target.value) }); }} /></Field>
              <Field label="Seats per row"><input type="number" min={1} max={200} value={s.seatsPerRow} onChange={(e) => { setSection(i, { seatsPerRow: Number(e.target.value) }); }} /></Field>
              <Field label="Tier">
                <select aria-label="Tier" value={s.tier} onChange={(e) => { setSection(i, { tier: e.target.value }); }}>
                  {draft.tiers.map((t) => <option key={t.tierId} value={t.tierId}>{t.displayName || t.tierId}</option>)}
                </select>
              </Field>
              {draft.sections.length > 1 && <button type="button" onClick={() => { set("sections", draft.sections.filter((_, k) => k !== i)); }}>Remove</button>}
            </div>
          ))}
          <button type="button" onClick={() => { set("sections", [...draft.sections, { sectionId: `section${String(draft.sections.length + 1)}`, displayName: "", rows: 4, seatsPerRow: 10, tier: draft.tiers[0]?.tierId ?? "" }]); }}>Add a section</button>
          <p>{seats.length} seats. Preview (the stage is at the top):</p>
          <div className="preview" aria-label="Seat map preview">
            <SeatMap seats={seats} tiers={tiers} statuses={new Map()} selected={new Set()} mine={new Set()} onToggle={() => undefined} />
          </div>
        </fieldset>
        {wrong.length > 0 && <ul role="alert">{wrong.map((w) => <li key={w}>{w}</li>)}</ul>}
        {error && <p role="alert">{error}</p>}
        {step && <p role="status" aria-busy="true">{step}</p>}
        <label className="check"><input type="checkbox" checked={draft.publish} onChange={(e) => { set("publish", e.target.checked); }} /> Publish now (the sale opens at its start time)</label>
        <button type="submit" disabled={wrong.length > 0 || step !== ""}>{draft.publish ? "Create and publish" : "Create as draft"}</button>
      </form>
    </main>
  );
}
