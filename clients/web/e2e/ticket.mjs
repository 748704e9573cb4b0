// A paid order's page after sign-in: the tickets appear with their QR codes (the test decodes the
// screenshot and compares each code with the API's).
// Env: APEXTICK_WEB, APEXTICK_ORDER (orders/{id}), APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const order = process.env.APEXTICK_ORDER;
const screens = process.env.APEXTICK_SCREENS;
const [username, password] = process.env.APEXTICK_USERS.split(":");

const browser = await launch();
try {
  const ctx = await context(browser, { phone: true });
  const page = await ctx.newPage();
  await page.goto(`${web}/${order}`);
  await page.getByRole("alert").waitFor(); // signed out: told to sign in, never a blank page
  await signIn(page, username, password);
  await page.waitForURL(`${web}/${order}`);
  await page.getByRole("status").filter({ hasText: "Paid" }).waitFor();
  const codes = page.getByRole("img", { name: /Ticket QR code/ });
  await codes.first().waitFor();
  const shots = [];
  for (let i = 0; i < (await codes.count()); i += 1) {
    const path = `${screens}/ticket-qr-${i}.png`;
    await codes.nth(i).screenshot({ path });
    shots.push(path);
  }
  await page.screenshot({ path: `${screens}/ticket.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ qr: shots }));
} finally {
  await browser.close();
}
