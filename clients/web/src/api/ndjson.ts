// The edge's server streams (Envoy's gRPC-JSON transcoder with stream_newline_delimited): one JSON
// object a line. Shared by the live seat map and the waiting room's position.

/** Reads `url` until the stream ends (resolves) or drops (throws), handing each object to `onObject`
 * (typed by the caller: the edge's OpenAPI describes each stream's message). */
export async function followNdjson(
  url: string,
  signal: AbortSignal,
  onObject: (value: unknown) => void,
  headers: Record<string, string> = {},
): Promise<void> {
  const response = await fetch(url, { signal, headers: { Accept: "application/json", ...headers } });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const text = line.trim();
      if (text) onObject(JSON.parse(text));
    }
  }
}
