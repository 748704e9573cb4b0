import { useEffect, useState } from "react";

/** Whole seconds left until `until` (an RFC 3339 time from the server), ticking once a second. */
export function useCountdown(until: string | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!until) return;
    const timer = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [until]);
  if (!until) return null;
  return Math.max(0, Math.round((Date.parse(until) - now) / 1000));
}

export function clock(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
