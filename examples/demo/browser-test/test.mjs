// Browser test of the Assent demo: headless Chromium (Debian's `chromium`)
// driven by playwright-core through sign-up, enrollment (the offer read from
// the page), push login approved and denied on the phone, backup-code login
// (the used code refused the second time), TOTP login and an application
// password (one revoked, then all), trusted browsers (trusted at the login, the
// second step skipped, revoked; the password change revoking them) and an
// organization (bob held until he turns two-step verification on, the admin's
// filtered list, a reminder in the outbox). The demo runs as `cargo run -p assent-demo` does: the real relay
// in process over TLS (test port 0), and the simulated phone at /phone — the
// core an app embeds, over HTTPS to that relay — in a second tab.
//
// Usage: node test.mjs   (ASSENT_DEMO_BIN: the built binary; default
// ../../../target/debug/assent-demo, or $CARGO_TARGET_DIR/debug/assent-demo;
// DEMO_ARGS: extra flags for the demo)
// Screenshots go to docs/screenshots/ (SCREENSHOTS=0 to skip).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const bin = process.env.ASSENT_DEMO_BIN || join(targetDir, 'debug', 'assent-demo');
const shots = join(root, 'docs', 'screenshots');
const takeShots = process.env.SCREENSHOTS !== '0';
const started = Date.now();

function step(text) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function startDemo(port, dataDir) {
  return new Promise((ok, fail) => {
    const extra = (process.env.DEMO_ARGS || '').split(' ').filter(Boolean);
    const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];
    args.push('--embedded-relay-listen', '127.0.0.1:0');
    // Eight logins by push in two minutes: more than the default window allows a person.
    args.push('--pushes-per-window', '20');
    const child = spawn(bin, [...args, ...extra], {
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => fail(new Error('the demo did not start in 20 s')), 20000);
    child.on('exit', (code) => fail(new Error(`the demo exited (${code})`)));
    child.stdout.on('data', (chunk) => {
      process.stdout.write(`  demo: ${chunk}`);
      if (String(chunk).includes('open http')) {
        clearTimeout(timer);
        ok(child);
      }
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'assent-demo-browser-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let demo;
let context;
try {
  demo = await startDemo(port, join(tmp, 'data'));
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 760, height: 720 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(20000);
  const site = await context.newPage();
  const phone = await context.newPage();
  if (takeShots) mkdirSync(shots, { recursive: true });
  const shot = async (page, name) => {
    if (takeShots) await page.screenshot({ path: join(shots, `${name}.png`) });
  };

  // The phone's page is reloaded before each use: logins rotate the browser
  // session (and its CSRF token), which this tab shares.
  async function phoneAnswer(button, entry) {
    await phone.goto(`${base}/phone`);
    const request = phone.locator('.request').first();
    await request.waitFor();
    if (entry !== undefined) await request.locator('input[name=entry]').fill(entry);
    await request.locator(`button[value=${button}]`).click();
    await phone.waitForSelector('#flash');
  }

  let password = 'correct horse battery';
  async function login({ trust = false, lands = /\/login\/push$/ } = {}) {
    await site.goto(`${base}/login`);
    await site.fill('#username', 'alice');
    await site.fill('#password', password);
    if (trust) await site.check('#trust');
    await site.click('button[type=submit] >> text=Log in');
    await site.waitForURL(lands);
  }

  // Approves the push the waiting page shows, and waits for the security page.
  async function approvePush() {
    const shown = (await site.textContent('#push-number')).trim();
    await phoneAnswer('approve', shown);
    await site.waitForURL(/\/security$/);
  }

  const cookie = async (name) => (await context.cookies(base)).find((c) => c.name === name);
  const days = (c) => (c.expires - Date.now() / 1000) / 86400;

  async function logout() {
    await site.click('header button:has-text("Log out")');
    await site.waitForURL(/\/login$/);
  }

  step('sign up');
  await site.goto(`${base}/signup`);
  await site.fill('#username', 'alice');
  await site.fill('#password', 'correct horse battery');
  await site.click('text=Sign up >> nth=-1');
  await site.waitForURL(/\/security$/);
  assert.match(await site.textContent('#tsv-status'), /off/);

  step('enable two-step verification: QR code and offer on the page');
  await site.click('text=Enable two-step verification');
  const offer = (await site.textContent('#offer-uri')).trim();
  assert.match(offer, /^assent:\/\/enroll\?/);
  assert.ok(await site.locator('#qr svg').count(), 'a QR code');

  step('the phone scans the offer');
  await phone.goto(`${base}/phone`);
  await phone.fill('#offer', offer);
  await phone.click('text=Scan');
  const activation = (await phone.textContent('#activation-code')).trim();
  assert.match(activation, /^\d{6}$/);

  step('type the activation code on the site');
  await site.waitForSelector('#enroll-state:has-text("is connected")');
  await site.fill('#code', activation);
  await site.click('text=Activate');
  const codes = (await site.locator('#backup-codes li').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  codes.forEach((c) => assert.match(c, /^[a-z0-9]{5}-[a-z0-9]{5}$/));
  const download = await site.getAttribute('#download-codes', 'href');
  assert.ok(download.startsWith('data:text/plain') && download.includes(codes[0]));
  await site.click('#codes-saved');
  assert.match(await site.textContent('#tsv-status'), /on/);
  assert.match(await site.textContent('#notices'), /A new phone/);
  assert.equal((await site.content()).includes(codes[0]), false, 'codes shown once');
  await shot(site, 'security');

  step('log out, log in with the password: the push page shows the number');
  await logout();
  await shot(site, 'login');
  await login();
  const number = (await site.textContent('#push-number')).trim();
  assert.match(number, /^\d{2}$/);
  await shot(site, 'waiting');

  step('the phone approves with that number; the page moves on by itself');
  await phoneAnswer('approve', number);
  await site.waitForURL(/\/security$/);
  assert.match(await site.textContent('header'), /alice/);

  step('not trusted ("ask every time"): the login ends when the browser closes');
  assert.equal((await cookie('assent_demo_session')).expires, -1, 'a session cookie');
  assert.equal(await cookie('assent_demo_trust'), undefined);
  assert.match(await site.textContent('#trusted-browsers'), /No browser/);

  step('trust this browser at the login: after the push, it is listed and kept 30 days');
  await logout();
  await login({ trust: true });
  await approvePush();
  assert.match(await site.textContent('#trusted-browsers'), /Chrome on Linux/);
  assert.match(await site.textContent('#trusted-browsers'), /127\.0\.0\.1/);
  const trust = await cookie('assent_demo_trust');
  assert.ok(trust && trust.httpOnly && days(trust) > 29.9 && days(trust) <= 30, JSON.stringify(trust));
  assert.ok((await cookie('assent_demo_session')).expires > 0, 'the login outlives the browser');

  step('the next login on this browser skips the second step');
  await logout();
  await login({ lands: /\/security$/ });
  assert.match(await site.textContent('#flash'), /is trusted/);

  step('revoked on the security page: the second step is asked again');
  await site.click('#trusted-browsers button:has-text("Revoke")');
  assert.match(await site.textContent('#flash'), /ask for the second step again/);
  assert.match(await site.textContent('#trusted-browsers'), /No browser/);
  await logout();
  await login();
  await approvePush();

  step('changing the password revokes every trusted browser');
  await logout();
  await login({ trust: true });
  await approvePush();
  assert.match(await site.textContent('#trusted-browsers'), /Chrome on Linux/);
  await site.click('#change-password summary');
  await site.fill('#current', 'not the password');
  await site.fill('#new', 'a new horse battery');
  await site.click('button:has-text("Change password")');
  assert.match(await site.textContent('#error'), /current password/);
  await site.click('#change-password summary');
  await site.fill('#current', password);
  await site.fill('#new', 'a new horse battery');
  await site.click('button:has-text("Change password")');
  await site.waitForURL(/\/security$/);
  assert.match(await site.textContent('#flash'), /password was changed/);
  assert.match(await site.textContent('#notices'), /1 trusted browser/);
  assert.match(await site.textContent('#trusted-browsers'), /No browser/);
  password = 'a new horse battery';
  await logout();
  await login();
  await approvePush();

  step('push denied');
  await logout();
  await login();
  await phoneAnswer('deny');
  await site.waitForSelector('#push-state.error');
  assert.match(await site.textContent('#push-state'), /denied/);
  assert.match(site.url(), /\/login\/push$/);

  step('backup code login, then the same code refused');
  await site.click('#use-backup');
  await site.fill('#code', codes[0]);
  await site.click('text=Verify');
  await site.waitForURL(/\/security$/);
  assert.match(await site.textContent('#flash'), /9 left/);
  await logout();
  await login();
  await site.click('#use-backup');
  await site.fill('#code', codes[0]);
  await site.click('text=Verify');
  assert.match(await site.textContent('#error'), /not right/);

  step('TOTP login with the code the phone shows (after the activation step)');
  await site.click('#use-totp');
  let totp = activation;
  for (let i = 0; totp === activation && i < 40; i++) {
    // The phone page reloads itself now and then: a reload that interrupts this
    // navigation is not a failure, the loop just looks again.
    try {
      await phone.goto(`${base}/phone`);
    } catch (e) {
      if (!String(e).includes('interrupted by another navigation')) throw e;
      await phone.waitForLoadState('load');
    }
    totp = (await phone.locator('code.totp').first().textContent()).trim();
    if (totp === activation) await phone.waitForTimeout(1000);
  }
  assert.notEqual(totp, activation);
  await site.fill('#code', totp);
  await site.click('text=Verify');
  await site.waitForURL(/\/security$/);

  step('create an application password and use it');
  await site.fill('#name', 'Mail on my laptop');
  await site.click('button:has-text("Create")');
  const appPassword = (await site.textContent('#new-app-password')).trim();
  const auth = (p) => ({ Authorization: `Basic ${Buffer.from(`alice:${p}`).toString('base64')}` });
  let reply = await fetch(`${base}/api/whoami`, { headers: auth(appPassword) });
  assert.equal(reply.status, 200);
  assert.deepEqual(await reply.json(), { user: 'alice' });
  await site.click('text=Done');
  assert.match(await site.textContent('#app-passwords'), /Mail on my laptop/);
  await site.click('#app-passwords button:has-text("Revoke")');
  assert.match(await site.textContent('#flash'), /revoked/);
  reply = await fetch(`${base}/api/whoami`, { headers: auth(appPassword) });
  assert.equal(reply.status, 401);

  step('revoke every application password at once');
  const made = [];
  for (const name of ['Sync tool', 'Calendar']) {
    await site.fill('#name', name);
    await site.click('button:has-text("Create")');
    made.push((await site.textContent('#new-app-password')).trim());
    await site.click('text=Done');
  }
  for (const p of made) {
    assert.equal((await fetch(`${base}/api/whoami`, { headers: auth(p) })).status, 200);
  }
  await site.click('button:has-text("Revoke all application passwords")');
  assert.match(await site.textContent('#flash'), /2 application password\(s\) revoked/);
  for (const p of made) {
    assert.equal((await fetch(`${base}/api/whoami`, { headers: auth(p) })).status, 401);
  }

  step('organization: alice creates one and adds bob, who has no second factor');
  await site.click('header a:has-text("Organization")');
  await site.fill('#name', 'Acme');
  await site.click('button:has-text("Create organization")');
  assert.match(await site.textContent('#flash'), /Acme created/);
  const bobContext = await chromium.launchPersistentContext(join(tmp, 'profile-bob'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    bobContext.setDefaultTimeout(20000);
    const bob = await bobContext.newPage();
    await bob.goto(`${base}/signup`);
    await bob.fill('#username', 'bob');
    await bob.fill('#password', 'bobs horse battery');
    await bob.click('text=Sign up >> nth=-1');
    await bob.waitForURL(/\/security$/);
    await bob.fill('#name', 'Mail client');
    await bob.click('button:has-text("Create")');
    const bobAppPassword = (await bob.textContent('#new-app-password')).trim();
    await bob.click('text=Done');
    await site.fill('#username', 'bob');
    await site.click('button:has-text("Add member")');
    assert.match(await site.textContent('#flash'), /bob is now a member/);

    step('alice requires two-step verification; bob is held at his next step');
    await site.click('button:has-text("Require two-step verification")');
    assert.match(await site.textContent('#org-policy'), /required.*1 member/s);
    assert.match(await site.textContent('#members'), /bob.*without two-step/s);
    await bob.click('header a:has-text("Organization")');
    await bob.waitForURL(/\/security$/);
    assert.match(await bob.textContent('#org-required'), /Acme.*requires two-step/s);
    assert.equal(await bob.locator('#app-passwords, #change-password').count(), 0, 'nothing else offered');
    const held = await bob.request.post(`${base}/security/app-passwords`, { form: { name: 'x' }, maxRedirects: 0 });
    assert.equal(held.status(), 303, 'a held member is sent to the security page, even for a form post');
    const bobAuth = { Authorization: `Basic ${Buffer.from(`bob:${bobAppPassword}`).toString('base64')}` };
    const tool = await fetch(`${base}/api/whoami`, { headers: bobAuth });
    assert.equal(tool.status, 200, 'application passwords keep working for tools');

    step('the admin filters the members and sends bob a reminder, once an hour');
    await site.fill('#q', 'bo');
    await site.check('#without');
    await site.click('#member-filter button');
    assert.deepEqual(await site.locator('#members tr.member').evaluateAll((r) => r.map((e) => e.dataset.name)), ['bob']);
    await site.fill('#q', 'ali');
    await site.click('#member-filter button');
    assert.equal(await site.locator('#members tr.member').count(), 0, 'alice has two-step verification');
    await site.goto(`${base}/org`);
    await site.click('tr[data-name=bob] button:has-text("Send a reminder")');
    assert.match(await site.textContent('#flash'), /reminder was sent to bob/);
    await site.click('tr[data-name=bob] button:has-text("Send a reminder")');
    assert.match(await site.textContent('#flash'), /reminded recently/);
    await bob.click('header a:has-text("Mail")');
    assert.match(await bob.textContent('#outbox'), /Turn on two-step verification.*Acme requires/s);

    step('bob turns it on with the phone and is free again');
    await bob.goto(`${base}/security`);
    await bob.click('text=Enable two-step verification');
    const bobOffer = (await bob.textContent('#offer-uri')).trim();
    await phone.goto(`${base}/phone`);
    await phone.fill('#offer', bobOffer);
    await phone.click('text=Scan');
    const bobActivation = (await phone.textContent('#activation-code')).trim();
    await bob.waitForSelector('#enroll-state:has-text("is connected")');
    await bob.fill('#code', bobActivation);
    await bob.click('text=Activate');
    await bob.click('#codes-saved');
    await bob.click('header a:has-text("Organization")');
    await bob.waitForURL(/\/org$/);
    assert.match(await bob.textContent('#member-of'), /Acme/);
    await site.goto(`${base}/org`);
    assert.match(await site.textContent('#members'), /bob.*two-step verification on/s);
    assert.match(await site.textContent('#org-policy'), /0 member/);
  } finally {
    await bobContext.close().catch(() => {});
  }

  step('replace my phone: a backup code proves it; once the new one is active the old one is gone');
  await site.goto(`${base}/security`);
  const oldId = await site.getAttribute('#devices tr.device', 'data-id');
  await site.click('#devices tr.device details.replace summary');
  await site.fill('#devices tr.device details.replace input[name=proof]', codes[1]);
  await site.click('button:has-text("Replace with a new phone")');
  const newOffer = (await site.textContent('#offer-uri')).trim();
  await phone.goto(`${base}/phone`);
  await phone.fill('#offer', newOffer);
  await phone.click('text=Scan');
  const newActivation = (await phone.textContent('#activation-code')).trim();
  await site.waitForSelector('#enroll-state:has-text("is connected")');
  await site.fill('#code', newActivation);
  await site.click('text=Activate');
  await site.waitForURL(/\/security$/);
  assert.match(await site.textContent('#flash'), /replaced your old phone/);
  const ids = await site.locator('#devices tr.device').evaluateAll((r) => r.map((e) => e.dataset.id));
  assert.equal(ids.length, 1);
  assert.notEqual(ids[0], oldId);
  await logout();
  await login();
  await approvePush();

  step('all passed');
} finally {
  if (context) await context.close().catch(() => {});
  if (demo) demo.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
