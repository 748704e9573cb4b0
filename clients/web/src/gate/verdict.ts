// What the gate screen shows: ADMIT, DUPLICATE (with the first scan's gate and time) or INVALID (with why),
// from the service's answer or from the offline bundle's own decision.
import type { ScanAnswer } from "../api/types";

export interface Verdict {
  kind: "ADMIT" | "DUPLICATE" | "INVALID";
  seat: string;
  detail: string;
  firstGate: string;
  firstTime: string;
  offline: boolean;
}

const INVALID: Record<string, string> = {
  SCAN_OUTCOME_VOID: "This ticket was cancelled or refunded.",
  SCAN_OUTCOME_WRONG_EVENT: "This ticket is for another event.",
  SCAN_OUTCOME_FORGED: "This is not a genuine ApexTick ticket.",
};

export function gateName(name: string): string {
  return name.split("/").pop() ?? name;
}

export function fromAnswer(answer: ScanAnswer): Verdict {
  const seat = answer.seatId ?? "";
  const base = { seat, firstGate: "", firstTime: "", offline: false };
  if (answer.outcome === "SCAN_OUTCOME_ADMITTED") return { ...base, kind: "ADMIT", detail: `Seat ${seat}` };
  if (answer.outcome === "SCAN_OUTCOME_DUPLICATE") {
    return {
      ...base, kind: "DUPLICATE", detail: "Already admitted",
      firstGate: gateName(answer.firstGate ?? ""), firstTime: answer.firstAdmitTime ?? "",
    };
  }
  return { ...base, kind: "INVALID", detail: INVALID[answer.outcome ?? ""] ?? "This code cannot be admitted." };
}
