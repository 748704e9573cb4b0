// Gate staff on a phone: signs in at the station's link, downloads the offline bundle, scans the first
// ticket with the camera (a fake camera playing a video of its QR code) and is told ADMIT, types the
// same code and is told DUPLICATE with the first gate and time, types a forged code and is told
// INVALID. Then the network drops: the second ticket is admitted from the bundle, a repeat is a
// DUPLICATE, and when the network is back the queued scans upload.
// Env: APEXTICK_WEB, APEXTICK_STATION (events/{e}/gateStations/{s}), APEXTICK_CODES ("code1,code2": Base45 has spaces, never commas),
// APEXTICK_CAMERA (a .y4m of the first code's QR), APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const station = process.env.APEXTICK_STATION;
const [first, second] = process.env.APEXTICK_CODES.split(",");
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USERS.split(":");
const gateId = station.split("/").pop();

const browser = await launch({ camera: process.env.APEXTICK_CAMERA });
try {
  const ctx = await context(browser, { phone: true });
  const page = await ctx.newPage();
  await page.goto(`${web}/gate/${station}`);
  await page.getByRole("alert").waitFor(); // signed out: asked to sign in
  await signIn(page, username, password);
  await page.waitForURL(`${web}/gate/${station}`);
  await page.getByRole("button", { name: "Download offline bundle" }).click();
  await page.getByText("Bundle: 2 tickets").waitFor();

  const verdict = (word) => page.getByRole("status").filter({ hasText: new RegExp(`^${word}$`) });
  const answer = async (word, shot) => {
    await verdict(word).waitFor({ timeout: 15_000 });
    const text = await page.locator(".verdict").innerText();
    await page.screenshot({ path: `${screens}/${shot}.png` });
    await page.locator(".verdict").click(); // dismissed for the next ticket
    return text;
  };
  const type = async (code) => {
    await page.getByLabel("Ticket code").fill(code);
    await page.getByRole("button", { name: "Check" }).click();
  };

  await page.getByRole("button", { name: "Scan with camera" }).click();
  const admitted = await answer("ADMIT", "gate-admit");
  await page.getByRole("button", { name: "Stop camera" }).click();
  await type(first);
  const duplicate = await answer("DUPLICATE", "gate-duplicate");
  check(duplicate.includes(`First scan: ${gateId}`), `the first gate is named: ${duplicate}`);
  await type(`${first.slice(0, -3)}${first.slice(-3) === "AAA" ? "BBB" : "AAA"}`);
  const invalid = await answer("INVALID", "gate-invalid");

  await ctx.setOffline(true);
  await page.getByText("Offline: the bundle decides on this device").waitFor();
  await type(second);
  const offlineAdmit = await answer("ADMIT", "gate-offline-admit");
  check(offlineAdmit.includes("Decided offline"), "the offline answer says so");
  await type(second);
  await answer("DUPLICATE", "gate-offline-duplicate");
  await page.getByText("2 scans waiting to upload").waitFor();
  await ctx.setOffline(false);
  await page.getByText("Uploaded 2 offline scans").waitFor({ timeout: 15_000 });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ admitted, duplicate, invalid, offlineAdmit }));
} catch (error) {
  for (const ctx of browser.contexts()) for (const page of ctx.pages()) await page.screenshot({ path: `${screens}/failed-gate.png` });
  throw error;
} finally {
  await browser.close();
}
