// The waiting room in a browser: the organizer turns it on from the event's dashboard; a customer
// signs in on the event's page before its sale opens, joins the queue and sees the pre-queue and the
// commitment; on READY the test opens the sale and turns the door; the page says it is the customer's
// turn, and a seat is held with the queue's pass.
// Env: APEXTICK_WEB, APEXTICK_EVENT, APEXTICK_SEAT, APEXTICK_ORGANIZER and APEXTICK_USER
// ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const seat = process.env.APEXTICK_SEAT;
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USER.split(":");
const [organizer, organizerPassword] = process.env.APEXTICK_ORGANIZER.split(":");

async function turnTheQueueOn(browser) {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}/dashboard`);
  await signIn(page, organizer, organizerPassword);
  await page.waitForURL(new RegExp(`${event}/dashboard`));
  const form = page.getByRole("form", { name: "Waiting room settings" });
  await form.getByLabel("Waiting room", { exact: true }).check();
  await form.getByLabel("Admissions a minute").fill("600");
  await form.getByLabel("Pass lifetime (minutes)").fill("2");
  await form.getByRole("button", { name: "Save" }).click();
  const answer = form.getByRole("status").or(form.getByRole("alert"));
  await answer.waitFor({ timeout: 15_000 });
  check((await answer.textContent()) === "Saved.", `the settings were not saved: ${await answer.textContent()}`);
  await page.getByText(/Waiting room: 0 waiting/).waitFor({ timeout: 15_000 }); // the figures appear
  await page.screenshot({ path: `${screens}/queue-settings.png`, fullPage: true });
  check(ctx.problems.length === 0, `organizer console errors: ${ctx.problems.join("; ")}`);
  await ctx.close();
}

const browser = await launch();
try {
  await turnTheQueueOn(browser);
  const ctx = await context(browser, { expected: [/queue:watch/] }); // streams cut when the page leaves
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}`);
  await signIn(page, username, password);
  await page.waitForURL(new RegExp(`${event}`));
  const room = page.getByRole("region", { name: "Waiting room" });
  await room.getByRole("button", { name: "Join the queue" }).click();
  await room.getByRole("status").filter({ hasText: "pre-queue" }).waitFor({ timeout: 20_000 });
  const commitment = (await room.locator("details code").first().textContent()) ?? "";
  check(
    (await page.getByRole("button", { name: "Wait for your turn in the queue" }).count()) === 1,
    "no hold before the queue lets us in",
  );
  await page.screenshot({ path: `${screens}/queue-waiting.png`, fullPage: true });
  console.log("READY");
  await room.getByRole("status").filter({ hasText: "It is your turn" }).waitFor({ timeout: 60_000 });
  await page.locator(`[data-seat="${seat}"]`).click();
  await page.getByRole("button", { name: "Hold seats" }).click();
  await page.getByRole("timer").waitFor({ timeout: 20_000 });
  await page.screenshot({ path: `${screens}/queue-admitted.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ joined: true, commitment, admitted: true, held: true }));
} finally {
  await browser.close();
}
