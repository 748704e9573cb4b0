// An organizer builds an event in the browser: a new venue, two price tiers, two grid sections with the
// live preview counting the seats, then "Create and publish". The dashboard opens showing no sale, says
// READY (the test buys through the API) and the paid order appears without a reload; the event list
// shows it on sale, and the attendees page lists the buyer's seats and exports them as CSV.
// Env: APEXTICK_WEB, APEXTICK_TITLE (a fresh event name), APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { readFile } from "node:fs/promises";

import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const title = process.env.APEXTICK_TITLE;
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USERS.split(":");

const browser = await launch();
try {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto(`${web}/organize`);
  await page.getByRole("alert").waitFor(); // signed out: asked to sign in
  await signIn(page, username, password);
  await page.waitForURL(`${web}/organize`);
  await page.getByRole("link", { name: "New event" }).click();
  await page.getByLabel("Name", { exact: true }).fill(title);
  await page.getByLabel("Venue name").fill("Harbour Hall");
  await page.getByLabel("City").fill("Galle");
  await page.getByLabel(/^Price/).first().fill("4500");
  await page.getByRole("button", { name: "Add a tier" }).click();
  await page.getByLabel("Tier id").nth(1).fill("vip");
  await page.getByLabel("Tier name").nth(1).fill("VIP");
  await page.getByLabel(/^Price/).nth(1).fill("9000");
  await page.getByLabel("Rows").first().fill("3");
  await page.getByLabel("Seats per row").first().fill("8");
  await page.getByRole("button", { name: "Add a section" }).click();
  await page.getByLabel("Section id").nth(1).fill("balcony");
  await page.getByLabel("Section name").nth(1).fill("Balcony");
  await page.getByLabel("Rows").nth(1).fill("4");
  await page.getByLabel("Seats per row").nth(1).fill("10");
  await page.getByLabel("Tier", { exact: true }).nth(1).selectOption("vip");
  await page.getByText("64 seats.").waitFor(); // the preview follows every change
  check((await page.locator("[data-seat]").count()) === 64, "the preview draws every seat");
  await page.locator('[data-seat="balcony-D-10"]').waitFor();
  await page.screenshot({ path: `${screens}/organizer-new-event.png`, fullPage: true });
  await page.getByRole("button", { name: "Create and publish" }).click();
  await page.waitForURL(/\/events\/[^/]+\/dashboard$/, { timeout: 30_000 });
  const event = new URL(page.url()).pathname.split("/")[2];
  const paid = page.locator('[data-figure="paid"]');
  await paid.filter({ hasText: /^0$/ }).waitFor();
  console.log("READY");
  await paid.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  const paidOrders = Number(await paid.innerText());
  await page.screenshot({ path: `${screens}/dashboard.png`, fullPage: true });
  await page.getByRole("link", { name: "Organize" }).click();
  await page.getByText(title).waitFor();
  await page.screenshot({ path: `${screens}/organizer-events.png`, fullPage: true });
  await page.goto(`${web}/events/${event}/attendees`);
  await page.locator("tbody tr").nth(1).waitFor();
  const attendees = await page.locator("table").first().locator("tbody tr").count();
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  const csvRows = (await readFile(await file.path(), "utf8")).trim().split("\n").length - 1; // less the header
  await page.screenshot({ path: `${screens}/organizer-attendees.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ event: `events/${event}`, paid: paidOrders, attendees, csvRows }));
} finally {
  await browser.close();
}
