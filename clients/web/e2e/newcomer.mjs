// A newcomer, from nothing to a ticket: signs up on Keycloak's registration page, verifies the email
// in the local inbox (the mail catcher's page, where its link is clicked), picks two seats, holds them, pays on the test payment page (which
// sends the signed webhook as Stripe would) and waits on the return page for the webhook-confirmed
// order and its QR codes. Then forgets the password: resets it through the emailed link and finds the
// order again under My orders.
// Env: APEXTICK_WEB, APEXTICK_EVENT (events/{id}), APEXTICK_SEATS ("a,b"), APEXTICK_MAIL (the mail
// catcher's listing), APEXTICK_NEWCOMER (a fresh username), APEXTICK_SCREENS.
import { check, context, followMailedLink, launch } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const seats = process.env.APEXTICK_SEATS.split(",");
const mail = process.env.APEXTICK_MAIL;
const username = process.env.APEXTICK_NEWCOMER;
const email = `${username}@example.test`;
const screens = process.env.APEXTICK_SCREENS;
const [password, renewed] = [`Pw-${crypto.randomUUID()}`, `Pw-${crypto.randomUUID()}`];

async function proceedAfterAction(page) {
  // Keycloak continues the sign-in itself in the browser that started it; another shows a link.
  const proceed = page.getByRole("link", { name: /proceed/i });
  await Promise.race([page.waitForURL(`${web}/**`), proceed.waitFor()]);
  if (!page.url().startsWith(web)) await proceed.click();
}

async function setPassword(page, value) {
  await page.locator("#password-new").fill(value);
  await page.locator("#password-confirm").fill(value);
  await page.locator("input[type=submit], button[type=submit]").first().click();
}

const browser = await launch();
try {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}?seats=${seats.join(",")}`);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/realms\/apextick\/(protocol\/openid-connect\/registrations|login-actions\/registration)|prompt=create/);
  await page.locator("#username").fill(username);
  await page.locator("#email").fill(email);
  await page.locator("#firstName").fill("New");
  await page.locator("#lastName").fill("Comer");
  // Keycloak 26.7 asks for the password after the email is verified when verification is on; older
  // versions ask on this form.
  const askedNow = (await page.locator("#password").count()) > 0;
  if (askedNow) {
    await page.locator("#password").fill(password);
    await page.locator("#password-confirm").fill(password);
  }
  await page.screenshot({ path: `${screens}/sign-up.png`, fullPage: true });
  await page.locator("input[type=submit], button[type=submit]").first().click();
  await page.getByText(/verify your email/i).first().waitFor();
  await page.screenshot({ path: `${screens}/verify-email.png`, fullPage: true });
  await followMailedLink(page, mail, email, "Verify email");
  if (!askedNow) await setPassword(page, password);
  await proceedAfterAction(page);
  await page.waitForURL(`${web}/${event}?seats=${seats.join(",")}`); // signed in, the seats kept
  for (const seat of seats) await page.locator(`[data-seat="${seat}"][data-state="selected"]`).waitFor();
  check((await page.locator("header").innerText()).includes(username), "signed in as the newcomer");

  await page.getByRole("button", { name: "Hold seats" }).click();
  await page.getByRole("timer").waitFor();
  await page.screenshot({ path: `${screens}/checkout.png`, fullPage: true });
  await page.getByRole("button", { name: /^Pay / }).click();
  await page.waitForURL(/\/pay\?/);
  await page.screenshot({ path: `${screens}/test-payment-page.png`, fullPage: true });
  await page.getByRole("button", { name: /^Pay / }).click();
  await page.waitForURL(`${web}/orders/return`);
  await page.getByRole("status").filter({ hasText: "Paid" }).waitFor({ timeout: 30_000 });
  const codes = page.getByRole("img", { name: /Ticket QR code/ });
  await codes.nth(seats.length - 1).waitFor();
  check((await codes.count()) === seats.length, "one QR code per seat");
  const reference = (await page.getByRole("heading", { level: 1 }).innerText()).replace("Order ", "");
  const shots = [];
  for (let i = 0; i < seats.length; i += 1) {
    shots.push(`${screens}/newcomer-qr-${i}.png`);
    await codes.nth(i).screenshot({ path: shots[i] });
  }
  await page.screenshot({ path: `${screens}/order-paid.png`, fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: /forgot password/i }).click();
  await page.locator("#username").fill(email);
  await page.locator("input[type=submit], button[type=submit]").first().click();
  await page.getByText(/receive an email/i).first().waitFor();
  await followMailedLink(page, mail, email, "Reset password");
  await setPassword(page, renewed);
  await proceedAfterAction(page);
  await page.getByRole("link", { name: "My orders" }).click();
  await page.getByRole("link", { name: new RegExp(reference) }).waitFor();
  await page.screenshot({ path: `${screens}/my-orders.png`, fullPage: true });
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ reference, qr: shots, password: renewed }));
} finally {
  await browser.close();
}
