// The live map through a network drop: a visitor watches an event's seat map; the browser goes offline
// and, on READY, the test cuts the open stream's TCP connection and holds a seat through the API. The
// banner says live updates paused; when the network is back the stream reopens, resyncs from its
// snapshot and the seat shows taken, without a reload. A taken seat cannot be selected.
// Env: APEXTICK_WEB, APEXTICK_EVENT, APEXTICK_SEAT, APEXTICK_SCREENS.
import { check, context, launch } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const seat = process.env.APEXTICK_SEAT;
const screens = process.env.APEXTICK_SCREENS;

const browser = await launch();
try {
  const ctx = await context(browser, { phone: true, expected: [/seats:watch/] }); // the stream the drop breaks
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}`);
  await page.locator(`[data-seat="${seat}"][data-state="available"]`).waitFor();
  await ctx.setOffline(true); // no reconnect can succeed until the network is back
  console.log("READY");
  const banner = page.getByRole("status").filter({ hasText: "Live updates paused" });
  await banner.waitFor({ timeout: 20_000 });
  await page.screenshot({ path: `${screens}/live-map-offline.png`, fullPage: true });
  await new Promise((done) => setTimeout(done, 1000)); // the hold was made while the page was offline
  await ctx.setOffline(false);
  await page.locator(`[data-seat="${seat}"][data-state="taken"]`).waitFor({ timeout: 30_000 });
  await banner.waitFor({ state: "detached", timeout: 15_000 });
  await page.locator(`[data-seat="${seat}"]`).click({ force: true }); // aria-disabled: Playwright would wait
  check((await page.locator(`[data-seat="${seat}"][data-state="taken"]`).count()) === 1, "a taken seat stays unselected");
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ resynced: true }));
} finally {
  await browser.close();
}
