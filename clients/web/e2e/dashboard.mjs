// An organizer watches their event's dashboard while a sale happens: the page shows no sale, says
// READY on stdout (the test then buys through the API), and the paid order appears without a reload.
// Env: APEXTICK_WEB, APEXTICK_EVENT, APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USERS.split(":");

const browser = await launch();
try {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}/dashboard`);
  await page.getByRole("alert").waitFor(); // signed out: asked to sign in
  await signIn(page, username, password);
  await page.waitForURL(`${web}/${event}/dashboard`);
  const paid = page.locator('[data-figure="paid"]');
  await paid.filter({ hasText: /^0$/ }).waitFor();
  console.log("READY");
  await paid.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  await page.locator('[data-figure="net"]').waitFor();
  await page.screenshot({ path: `${screens}/dashboard.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ paid: Number(await paid.innerText()), net: await page.locator('[data-figure="net"]').innerText() }));
} finally {
  await browser.close();
}
