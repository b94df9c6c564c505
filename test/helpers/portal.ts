/// <reference lib="dom" />
/**
 * The tenant portal in a real browser: Chromium driven by Playwright, against an admin API on a test engine.
 * Screenshots go to docs/portal when UPDATE_SCREENSHOTS=1 (the README shows them), else to the run's scratch
 * folder, so each run takes them the same way without rewriting the repository's files.
 */
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { OFFLINE_CHROMIUM_ARGS } from './chromium';
import type { TestApi } from './api';
import { testEnv } from './test-env';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: testEnv().chromiumPath, args: OFFLINE_CHROMIUM_ARGS, headless: true });
}

export interface PortalLink {
  id: string;
  url: string;
}

export async function portalLink(
  api: TestApi,
  tenant: { tenantId: string; key: string },
  body: { capabilities?: string[]; theme?: Record<string, string>; sessionTtlSeconds?: number } = {
    capabilities: ['manage_endpoints', 'view_secrets'],
  },
): Promise<PortalLink> {
  const res = await api.call<PortalLink>('POST', `/v1/tenants/${tenant.tenantId}/portal-sessions`, {
    key: tenant.key,
    body,
  });
  if (res.status !== 201) throw new Error(`portal session not created: ${res.status} ${res.text}`);
  return res.body;
}

/** Opens a link in a fresh browser context (its own cookies) and waits for the portal to show. */
export async function openPortal(
  browser: Browser,
  link: PortalLink,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(link.url);
  return { context, page };
}

/** Errors the page reported: a CSP violation or an uncaught exception shows up here. */
export function pageProblems(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir =
    process.env.UPDATE_SCREENSHOTS === '1'
      ? path.resolve(__dirname, '..', '..', 'docs', 'portal')
      : path.join(testEnv().workDir, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A call from inside the page, as the portal makes it: the session cookie, and its CSRF token on changes. */
export async function pageFetch(
  page: Page,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: { error?: { code: string } } & Record<string, unknown> }> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const me = (await (await fetch('/portal/api/session')).json()) as { csrfToken: string };
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    { method, url, body },
  );
}

/** Locator matchers that wait (like Playwright Test's web-first assertions, which playwright-core lacks). */
type Locator = import('playwright-core').Locator;

async function settle<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

const textOf = (locator: Locator) =>
  locator
    .first()
    .textContent({ timeout: 1000 })
    .catch(() => null);
const matches = (text: string | null, expected: string | RegExp) =>
  text !== null && (typeof expected === 'string' ? text.includes(expected) : expected.test(text));

expect.extend({
  async toBeVisibleSoon(locator: Locator, timeoutMs: number = 15_000) {
    const visible = await settle(() => locator.first().isVisible(), Boolean, timeoutMs);
    return { pass: visible, message: () => `expected ${String(locator)} to be visible within ${timeoutMs} ms` };
  },
  async toContainTextSoon(locator: Locator, expected: string | RegExp, timeoutMs: number = 15_000) {
    const text = await settle(
      () => textOf(locator),
      (t) => matches(t, expected),
      timeoutMs,
    );
    return {
      pass: matches(text, expected),
      message: () => `expected ${String(locator)} to contain ${String(expected)}, it says ${JSON.stringify(text)}`,
    };
  },
  async toHaveTextSoon(locator: Locator, expected: string, timeoutMs: number = 15_000) {
    const text = await settle(
      () => textOf(locator),
      (t) => t?.trim() === expected,
      timeoutMs,
    );
    return {
      pass: text?.trim() === expected,
      message: () => `expected ${String(locator)} to say ${JSON.stringify(expected)}, it says ${JSON.stringify(text)}`,
    };
  },
  async toHaveValueSoon(locator: Locator, expected: string, timeoutMs: number = 15_000) {
    const value = await settle(
      () => locator.inputValue({ timeout: 1000 }).catch(() => null),
      (v) => v === expected,
      timeoutMs,
    );
    return {
      pass: value === expected,
      message: () => `expected ${String(locator)} to hold ${expected}, it holds ${value}`,
    };
  },
  async toHaveCountSoon(locator: Locator, expected: number, timeoutMs: number = 15_000) {
    const count = await settle(
      () => locator.count(),
      (n) => n === expected,
      timeoutMs,
    );
    return { pass: count === expected, message: () => `expected ${expected} of ${String(locator)}, found ${count}` };
  },
  async toBeFocusedSoon(locator: Locator, timeoutMs: number = 5_000) {
    const focused = await settle(
      () => locator.evaluate((el) => el === document.activeElement).catch(() => false),
      Boolean,
      timeoutMs,
    );
    return { pass: focused, message: () => `expected ${String(locator)} to have the focus` };
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- extending Jest's own declaration
  namespace jest {
    interface Matchers<R> {
      toBeVisibleSoon(timeoutMs?: number): Promise<R>;
      toContainTextSoon(expected: string | RegExp, timeoutMs?: number): Promise<R>;
      toHaveTextSoon(expected: string, timeoutMs?: number): Promise<R>;
      toHaveCountSoon(expected: number, timeoutMs?: number): Promise<R>;
      toHaveValueSoon(expected: string, timeoutMs?: number): Promise<R>;
      toBeFocusedSoon(timeoutMs?: number): Promise<R>;
    }
  }
}
