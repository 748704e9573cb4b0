// The camera as a QR reader: the browser's BarcodeDetector where it has one (Chrome on Android and
// macOS), jsQR on the video's frames elsewhere (loaded only when needed, so it stays out of the initial
// JavaScript). Frames are read a few times a second; the same code is not reported again within 3 s.
interface Detected {
  rawValue: string;
}
interface Detector {
  detect(source: HTMLVideoElement): Promise<Detected[]>;
}
type DetectorClass = new (options: { formats: string[] }) => Detector;

const EVERY_MS = 150;
const SAME_CODE_MS = 3000;

async function reader(video: HTMLVideoElement): Promise<() => Promise<string | null>> {
  const native = (window as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (native) {
    const detector = new native({ formats: ["qr_code"] });
    return async () => (await detector.detect(video))[0]?.rawValue ?? null;
  }
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return () => {
    if (!context || !video.videoWidth) return Promise.resolve(null);
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return Promise.resolve(jsQR(frame.data, frame.width, frame.height)?.data ?? null);
  };
}

/** Starts the rear camera into `video` and reports each code read; resolves to a stop function. */
export async function startScanner(video: HTMLVideoElement, onCode: (code: string) => void): Promise<() => void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  await video.play();
  const read = await reader(video);
  let last = { code: "", at: 0 };
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    const code = await read().catch(() => null);
    const now = Date.now();
    if (code && (code !== last.code || now - last.at > SAME_CODE_MS)) {
      last = { code, at: now };
      onCode(code);
    }
    window.setTimeout(() => void tick(), EVERY_MS);
  };
  void tick();
  return () => {
    stopped = true;
    stream.getTracks().forEach((t) => { t.stop(); });
    video.srcObject = null;
  };
}
