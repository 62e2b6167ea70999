/**
 * Launches the system Chromium through playwright-core with the project's flags (never downloads a
 * browser), and opens pages whose console errors are collected for assertions and debugging.
 */
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--headless",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = [...CHROMIUM_FLAGS];
  if (options.webgpu) args.push("--enable-unsafe-webgpu");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(url);
  return { page, errors };
}
