// A session that ends while seats are chosen. First the access token expires (as after a laptop sleeps):
// "Hold seats" renews it with the refresh token, without leaving the page, and the hold is made. Then
// the whole session is gone (Keycloak's cookie cleared, the refresh token unusable): the API refuses,
// the app sends the customer to Keycloak's login and brings them back to the event with the seat still
// chosen.
// Env: APEXTICK_WEB, APEXTICK_EVENT, APEXTICK_SEATS ("a,b"), APEXTICK_USERS ("user:password"), APEXTICK_SCREENS.
import { check, context, launch, signIn } from "./browser.mjs";

const web = process.env.APEXTICK_WEB;
const event = process.env.APEXTICK_EVENT;
const [first, second] = process.env.APEXTICK_SEATS.split(",");
const [username, password] = process.env.APEXTICK_USERS.split(":");

/** Rewrites the signed-in user oidc-client-ts keeps in sessionStorage. */
async function tamper(page, change) {
  return page.evaluate((what) => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith("oidc.user:"));
    const user = JSON.parse(sessionStorage.getItem(key));
    const before = user.access_token;
    user.expires_at = Math.floor(Date.now() / 1000) - 60;
    if (what === "break-refresh") user.refresh_token = "not-a-refresh-token";
    sessionStorage.setItem(key, JSON.stringify(user));
    return before;
  }, change);
}

const token = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find((k) => k.startsWith("oidc.user:")))).access_token);

const browser = await launch();
try {
  const ctx = await context(browser, { expected: [/\/v1\/events\/[^/]+\/holds$/] }); // the refused hold
  const page = await ctx.newPage();
  await page.goto(`${web}/${event}?seats=${first}`);
  await signIn(page, username, password);
  await page.waitForURL(`${web}/${event}?seats=${first}`);
  const expired = await tamper(page, "expire");
  await page.getByRole("button", { name: "Hold seats" }).click();
  await page.getByRole("timer").waitFor();
  const renewed = (await token(page)) !== expired;
  check(renewed, "the expired token was renewed");

  await page.goto(`${web}/${event}?seats=${second}`);
  await page.locator(`[data-seat="${second}"][data-state="selected"]`).waitFor();
  await ctx.clearCookies();
  await tamper(page, "break-refresh");
  await page.getByRole("button", { name: "Hold seats" }).click();
  await page.waitForURL(/\/realms\/apextick\/protocol\/openid-connect\/auth/);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("#kc-login").click();
  await page.waitForURL(`${web}/${event}?seats=${second}`);
  await page.locator(`[data-seat="${second}"][data-state="selected"]`).waitFor(); // still chosen
  await page.getByRole("button", { name: "Hold seats" }).click();
  await page.getByRole("timer").waitFor();
  check(ctx.problems.length === 0, `console errors: ${ctx.problems.join("; ")}`);
  console.log(JSON.stringify({ renewed, resumed: true }));
} finally {
  await browser.close();
}
