// A gate: the camera (or a typed code) checks each ticket and the whole screen answers ADMIT, DUPLICATE
// with the first scan's gate and time, or INVALID with why. The first scan wins at the service. Offline,
// the downloaded bundle decides on the device; the queued scans upload when the network is back.
import { useCallback, useEffect, useRef, useState } from "react";

import { api, must } from "../api/client";
import { ApiError } from "../api/errors";
import { useUser } from "../auth/useUser";
import { signIn } from "../auth/auth";
import { startScanner } from "../gate/camera";
import { decide, load, save } from "../gate/offline";
import { fromAnswer, gateName, type Verdict } from "../gate/verdict";

const SHOW_MS = 4000;

// A code's spaces are part of it (Base45 has a space): only the line break a handheld scanner adds goes.
const asTyped = (text: string) => text.replace(/^[\r\n]+|[\r\n]+$/g, "");

const UNREADABLE = new Set(["INVALID_ARGUMENT", "TICKET_CODE_MALFORMED"]);

function unreadable(): Verdict {
  return { kind: "INVALID", seat: "", detail: "This is not an ApexTick ticket code.", firstGate: "", firstTime: "", offline: false };
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => { setOnline(true); };
    const off = () => { setOnline(false); };
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => {
      window.removeEventListener("online", on);
      window.removeEventListener("offline", off);
    };
  }, []);
  return online;
}

function path(station: string) {
  const [, event = "", , gate = ""] = station.split("/");
  return { event, gateStation: gate };
}

async function scanOnline(station: string, code: string, nonce: string): Promise<Verdict> {
  const body = { gateStation: station, code, scanNonce: nonce };
  const answer = await must(api.POST("/v1/events/{event}/gateStations/{gateStation}:scan", { params: { path: path(station) }, body }));
  const verdict = fromAnswer(answer);
  if (verdict.kind === "ADMIT") {
    // Remembered on the device too, so that a later offline scan of the same ticket says DUPLICATE.
    const local = load(station);
    const id = (answer.ticket ?? "").split("/").pop() ?? "";
    local.admitted[id] = answer.scanTime ?? new Date().toISOString();
    save(station, local);
  }
  return verdict;
}

function VerdictScreen({ verdict, onClose }: { verdict: Verdict; onClose: () => void }) {
  useEffect(() => {
    const timer = window.setTimeout(onClose, SHOW_MS);
    return () => { window.clearTimeout(timer); };
  }, [verdict, onClose]);
  return (
    <button type="button" className={`verdict verdict-${verdict.kind.toLowerCase()}`} onClick={onClose} aria-live="assertive">
      <strong role="status">{verdict.kind}</strong>
      <span>{verdict.detail}</span>
      {verdict.kind === "DUPLICATE" && (
        <span>
          First scan: {verdict.firstGate || "another gate"}
          {verdict.firstTime ? ` at ${new Date(verdict.firstTime).toLocaleTimeString()}` : ""}
        </span>
      )}
      {verdict.offline && <small>Decided offline from the bundle; it uploads when back online.</small>}
      <small>Tap to scan the next ticket</small>
    </button>
  );
}

function useUpload(station: string, online: boolean) {
  const [report, setReport] = useState("");
  const [queued, setQueued] = useState(() => load(station).queue.length);
  const upload = useCallback(async () => {
    const scans = load(station).queue;
    if (!scans.length) return;
    try {
      const body = { gateStation: station, scans };
      const answer = await must(api.POST("/v1/events/{event}/gateStations/{gateStation}:uploadOfflineScans", { params: { path: path(station) }, body }));
      const sent = new Set(scans.map((s) => s.scanNonce));
      const local = load(station);
      local.queue = local.queue.filter((s) => !sent.has(s.scanNonce));
      save(station, local);
      setQueued(local.queue.length);
      const conflicts = (answer.results ?? []).filter((r) => r.conflict).length;
      setReport(`Uploaded ${String(scans.length)} offline scans${conflicts ? `; ${String(conflicts)} admitted twice (recorded as conflicts)` : ""}.`);
    } catch (error) {
      setReport(error instanceof ApiError ? error.human : "Upload failed; it will be retried.");
    }
  }, [station]);
  useEffect(() => {
    if (!online) return;
    // Whenever the network (or online mode) comes back; on a timer, as a callback rather than in the effect.
    const timer = window.setTimeout(() => void upload(), 0);
    return () => { window.clearTimeout(timer); };
  }, [online, upload]);
  return { report, queued, setQueued, upload };
}

export function GatePage({ station }: { station: string }) {
  const user = useUser();
  const online = useOnline();
  const [offlineMode, setOfflineMode] = useState(false);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const showing = useRef(false); // the camera does not read while an answer is on the screen
  const [problem, setProblem] = useState("");
  const [code, setCode] = useState("");
  const [camera, setCamera] = useState(false);
  const [bundleInfo, setBundleInfo] = useState(() => load(station).bundle);
  const video = useRef<HTMLVideoElement>(null);
  const { report, queued, setQueued } = useUpload(station, online && !offlineMode);
  const offline = offlineMode || !online;

  const show = (next: Verdict | null) => {
    showing.current = next !== null;
    setVerdict(next);
  };
  const close = useCallback(() => {
    showing.current = false;
    setVerdict(null);
  }, []);
  const scan = useCallback(async (text: string) => {
    const nonce = crypto.randomUUID();
    setProblem("");
    try {
      show(offline ? await decide(station, text, nonce) : await scanOnline(station, text, nonce));
    } catch (error) {
      if (error instanceof ApiError && UNREADABLE.has(error.reason)) show(unreadable());
      else if (error instanceof ApiError) setProblem(error.human);
      else show(await decide(station, text, nonce)); // the network went away mid-scan
    }
    setQueued(load(station).queue.length);
  }, [offline, station, setQueued]);

  useEffect(() => {
    if (!camera || !video.current) return;
    let stop: (() => void) | null = null;
    startScanner(video.current, (read) => { if (!showing.current) void scan(read); }).then(
      (stopper) => { stop = stopper; },
      () => { setProblem("The camera is not available here: type the code instead."); setCamera(false); },
    );
    return () => { stop?.(); };
  }, [camera, scan]);

  const download = async () => {
    try {
      const answer = await must(api.GET("/v1/events/{event}/gateStations/{gateStation}/offlineBundle", { params: { path: path(station) } }));
      const local = load(station);
      local.bundle = answer.bundle ?? null;
      save(station, local);
      setBundleInfo(local.bundle);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.human : "The bundle could not be downloaded.");
    }
  };

  if (!user) {
    return (
      <main>
        <p role="alert">Gate staff: please sign in to scan at {gateName(station)}.</p>
        <button type="button" onClick={() => void signIn()}>Sign in</button>
      </main>
    );
  }
  return (
    <main className="gate">
      <h1>Gate</h1>
      <p className="muted">Station {gateName(station)}</p>
      <p className={offline ? "banner" : ""} role="status">
        {offline ? "Offline: the bundle decides on this device" : "Online"}
        {queued ? ` · ${String(queued)} scans waiting to upload` : ""}
      </p>
      {report && <p role="status">{report}</p>}
      {problem && <p role="alert">{problem}</p>}
      {verdict && <VerdictScreen verdict={verdict} onClose={close} />}
      <video ref={video} className="viewfinder" hidden={!camera} muted playsInline aria-label="Camera" />
      <div className="gate-actions">
        <button type="button" onClick={() => { setCamera(!camera); }}>{camera ? "Stop camera" : "Scan with camera"}</button>
        <button type="button" onClick={() => void download()}>Download offline bundle</button>
        <label>
          <input type="checkbox" checked={offlineMode} onChange={(e) => { setOfflineMode(e.target.checked); }} /> Work offline
        </label>
      </div>
      {bundleInfo && (
        <p>
          Bundle: {String(bundleInfo.tickets?.length ?? 0)} tickets, downloaded{" "}
          {bundleInfo.createTime ? new Date(bundleInfo.createTime).toLocaleTimeString() : ""}
        </p>
      )}
      <form onSubmit={(e) => { e.preventDefault(); if (asTyped(code)) void scan(asTyped(code)); setCode(""); }}>
        <label htmlFor="code">Ticket code</label>
        <input id="code" value={code} onChange={(e) => { setCode(e.target.value); }} autoComplete="off" />
        <button type="submit">Check</button>
      </form>
    </main>
  );
}

export function GateHome() {
  const [link, setLink] = useState("");
  return (
    <main>
      <h1>Gate</h1>
      <p>Open the link your organizer gave you for your gate, or paste it here.</p>
      <form onSubmit={(e) => {
        e.preventDefault();
        const found = /events\/[^/]+\/gateStations\/[^/?#\s]+/.exec(link);
        if (found) window.location.assign(`/gate/${found[0]}`);
      }}>
        <label htmlFor="station">Gate link</label>
        <input id="station" value={link} onChange={(e) => { setLink(e.target.value); }} />
        <button type="submit">Open</button>
      </form>
    </main>
  );
}
