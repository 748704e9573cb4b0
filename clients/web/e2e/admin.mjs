// An admin at the desk: finds a user and grants them the organizer role, sees the grant in the audit
// log, finds a paid order by its reference and refunds it. The test stack runs no notification service,
// so the dead letters section must say the service is unavailable (503), never go blank.
// Env: APEXTICK_WEB, APEXTICK_TARGET_USER, APEXTICK_REFERENCE, APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const target = process.env.APEXTICK_TARGET_USER;
const reference = process.env.APEXTICK_REFERENCE;
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USERS.split(":");

const browser = await launch();
try {
  const ctx = await context(browser, { expected: [/\/v1\/deadLetters/] });
  const page = await ctx.newPage();
  await page.goto(`${web}/admin`);
  await signIn(page, username, password);
  await page.waitForURL(`${web}/admin`);
  await page.getByLabel("Search users").fill(target);
  const row = page.locator("tr", { hasText: target });
  await row.getByRole("button", { name: "Grant organizer" }).click();
  await row.getByRole("button", { name: "Revoke organizer" }).waitFor();
  check((await row.innerText()).includes("organizer"), "the row shows the new role");
  await page.getByLabel("Reference, name, email or order id").fill(reference);
  const order = page.locator("tr", { hasText: reference });
  await order.getByRole("button", { name: "Refund" }).click();
  await order.getByText("refunded").waitFor({ timeout: 20_000 });
  await page.reload();
  await page.locator("section", { hasText: "Audit log" }).locator("tr", { hasText: "GRANT" }).first().waitFor();
  await page.locator("section", { hasText: "Dead letters" }).getByRole("alert").filter({ hasText: "unavailable" }).waitFor();
  await page.screenshot({ path: `${screens}/admin.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ granted: true, refunded: reference }));
} finally {
  await browser.close();
}
