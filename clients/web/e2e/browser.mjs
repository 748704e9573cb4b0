// Debian's Chromium driven by playwright-core (a browser downloaded by Playwright cannot be fetched
// here). Headless, a fresh profile per launch, and none of Chromium's background connections, which
// this machine's closed network refuses.
import { chromium } from "playwright-core";

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/** `camera`: a video file (.y4m) that Chromium plays as the device camera, permission granted. */
export function launch({ camera = "" } = {}) {
  const fake = camera ? ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${camera}`] : [];
  return chromium.launch({ executablePath: process.env.APEXTICK_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: [...FLAGS, ...fake] });
}

/** A context that fails the scenario on any console error or uncaught page error. `expected`: URLs
 * (regular expressions) whose failed loads the scenario provokes on purpose and checks on screen. */
export async function context(browser, { phone = false, expected = [] } = {}) {
  const made = await browser.newContext(phone ? { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 860 } });
  made.problems = [];
  made.on("page", (page) => watch(page, made.problems, expected));
  return made;
}

// Chromium itself logs every 4xx answer as "Failed to load resource": an API refusal the app shows as
// a message (a seat lost in a race is a 409) is not an error of the app. Everything else counts.
const HANDLED = /^Failed to load resource: the server responded with a status of 4\d\d/;

// Only the app's own pages count: Keycloak's pages are not ours (its 26.7 registration page throws
// on a password field it no longer renders when email verification is on).
function watch(page, problems, expected) {
  const ours = () => page.url().startsWith(process.env.APEXTICK_WEB ?? "");
  const provoked = (message) => message.text().startsWith("Failed to load resource") && expected.some((url) => url.test(message.location().url));
  page.on("console", (message) => {
    if (message.type() === "error" && ours() && !HANDLED.test(message.text()) && !provoked(message)) problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => {
    if (ours()) problems.push(`page error: ${error.message}`);
  });
}

/** Signs in through Keycloak's own login page, starting from the header's Sign in button. */
export async function signIn(page, username, password) {
  await page.getByRole("navigation").getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/realms\/apextick\/protocol\/openid-connect\/auth/);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("#kc-login").click();
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Opens the local inbox (the mail catcher's page) in `page`, waits for an email to `recipient` with
 * `subject` in it, and follows the newest one's Keycloak link, as a person would. */
export async function followMailedLink(page, inbox, recipient, subject) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(inbox);
    const mail = page.locator("article", { hasText: recipient }).filter({ hasText: subject }).first();
    if (await mail.count()) {
      await mail.getByRole("link", { name: /login-actions\/action-token/ }).first().click();
      return;
    }
    if (Date.now() > deadline) throw new Error(`no "${subject}" email reached ${recipient}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}
