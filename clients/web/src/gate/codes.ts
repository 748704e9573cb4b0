// Ticket codes read at the gate without the network: `AT2.<base45>` (booking/adapters/compact_codes.py),
// whose Ed25519 signature the browser checks with WebCrypto against the bundle's public keys. The layout:
// key id prefix (4) | ticket id (16) | event id (16) | seat length (1) | seat (UTF-8) | signature (64),
// signed over DOMAIN followed by everything before the signature.
const PREFIX = "AT2.";
const DOMAIN = new TextEncoder().encode("apextick-ticket-code-v2:");
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const FIXED = 4 + 16 + 16 + 1;
const SIGNATURE = 64;

export interface Claims {
  keyPrefix: string;
  ticketId: string;
  eventId: string;
  seatId: string;
  signed: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

function base45(text: string): Uint8Array<ArrayBuffer> | null {
  const values = Array.from({ length: text.length }, (_, i) => ALPHABET.indexOf(text.charAt(i)));
  if (values.includes(-1) || values.length % 3 === 1) return null;
  const out: number[] = [];
  for (let i = 0; i < values.length; i += 3) {
    const chunk = values.slice(i, i + 3);
    const n = chunk.reduce((sum, v, k) => sum + v * 45 ** k, 0);
    if (chunk.length === 3) {
      if (n > 0xffff) return null;
      out.push(n >> 8, n & 0xff);
    } else {
      if (n > 0xff) return null;
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

function uuid(bytes: Uint8Array): string {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The claims of a well-formed compact code, or null (not verified yet: see `verify`). */
export function parse(code: string): Claims | null {
  if (!code.startsWith(PREFIX)) return null;
  const data = base45(code.slice(PREFIX.length));
  if (!data || data.length < FIXED + SIGNATURE) return null;
  const seatEnd = FIXED + (data[FIXED - 1] ?? 0);
  if (data.length !== seatEnd + SIGNATURE) return null;
  let seatId: string;
  try {
    seatId = new TextDecoder("utf-8", { fatal: true }).decode(data.slice(FIXED, seatEnd));
  } catch {
    return null;
  }
  const signed = new Uint8Array(DOMAIN.length + seatEnd);
  signed.set(DOMAIN);
  signed.set(data.slice(0, seatEnd), DOMAIN.length);
  return {
    keyPrefix: hex(data.slice(0, 4)), ticketId: uuid(data.slice(4, 20)), eventId: uuid(data.slice(20, 36)),
    seatId, signed, signature: data.slice(seatEnd),
  };
}

function unbase64url(text: string): Uint8Array<ArrayBuffer> {
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "="));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

export interface PublicKey {
  keyId?: string;
  publicKey?: string;
}

/** True when one of the keys (by the code's key id prefix) signed the claims. */
export async function verify(claims: Claims, keys: PublicKey[]): Promise<boolean> {
  const key = keys.find((k) => (k.keyId ?? "").startsWith(claims.keyPrefix));
  if (!key?.publicKey) return false;
  try {
    const imported = await crypto.subtle.importKey("raw", unbase64url(key.publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, imported, claims.signature, claims.signed);
  } catch {
    return false; // a browser without Ed25519 in WebCrypto cannot vouch for a code offline
  }
}
