// Two customers in two browsers tap the same seat at the same moment: exactly one holds it and sees
// the countdown; the other is told at once and sees the seat turn taken without reloading.
// Env: APEXTICK_WEB (the app's origin), APEXTICK_EVENT (events/{id}), APEXTICK_SEAT, APEXTICK_USERS
// ("user:password,user:password"), APEXTICK_TITLE (the event's name), APEXTICK_SCREENS (a folder for
// screenshots). The first customer finds the event by searching the list; the second opens its link.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const seat = process.env.APEXTICK_SEAT;
const screens = process.env.APEXTICK_SCREENS;
const people = process.env.APEXTICK_USERS.split(",").map((pair) => pair.split(":"));

const browser = await launch();
try {
  const sessions = [];
  for (const [index, [username, password]] of people.entries()) {
    const ctx = await context(browser, { phone: index === 1 });
    const page = await ctx.newPage();
    if (index === 0) {
      await page.goto(`${web}/`);
      await page.getByLabel("Search").fill(process.env.APEXTICK_TITLE);
      await page.getByRole("button", { name: "Find" }).click();
      await page.getByRole("link", { name: new RegExp(process.env.APEXTICK_TITLE) }).click();
      await page.waitForURL(`${web}/${event}`);
      await page.screenshot({ path: `${screens}/event-list.png`, fullPage: true });
    } else {
      await page.goto(`${web}/${event}`);
    }
    await page.locator(`[data-seat="${seat}"]`).waitFor();
    await page.locator(`[data-seat="${seat}"]`).click();
    await signIn(page, username, password);
    await page.waitForURL(`${web}/${event}?seats=${seat}`);
    await page.locator(`[data-seat="${seat}"][data-state="selected"]`).waitFor(); // kept through sign-in
    await page.screenshot({ path: `${screens}/seat-map-${index === 1 ? "phone" : "desktop"}.png`, fullPage: true });
    sessions.push({ ctx, page });
  }
  await Promise.all(sessions.map(({ page }) => page.getByRole("button", { name: "Hold seats" }).click()));
  const outcome = async ({ page }) => {
    const timer = page.getByRole("timer");
    const alert = page.getByRole("alert");
    await Promise.race([timer.waitFor(), alert.waitFor()]);
    return (await timer.count()) ? "held" : "lost";
  };
  const outcomes = await Promise.all(sessions.map(outcome));
  check(outcomes.filter((o) => o === "held").length === 1, `one winner expected, got ${outcomes}`);
  const loser = sessions[outcomes.indexOf("lost")];
  const winner = sessions[outcomes.indexOf("held")];
  check((await loser.page.getByRole("alert").innerText()).includes("Someone else just took"), "the loser is told why");
  await loser.page.locator(`[data-seat="${seat}"][data-state="taken"]`).waitFor({ timeout: 10_000 });
  await winner.page.locator(`[data-seat="${seat}"][data-state="held by you"]`).waitFor();
  await winner.page.screenshot({ path: `${screens}/hold-countdown.png`, fullPage: true });
  await loser.page.screenshot({ path: `${screens}/seat-lost.png`, fullPage: true });
  const problems = sessions.flatMap(({ ctx }) => ctx.problems);
  check(problems.length === 0, `console errors: ${problems.join("; ")}`);
  console.log(JSON.stringify({ outcomes }));
} finally {
  await browser.close();
}
