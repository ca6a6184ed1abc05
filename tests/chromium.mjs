// Headless Chromium through playwright-core (web/'s dev dependency), for
// the browser test and bench/browser.mjs.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TOP } from './guest.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Start Chromium; a clear error if it or playwright-core is missing.
export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: 'scripts/web.sh chromium' installs it`);
  }
  let playwright;
  try {
    playwright = createRequire(path.join(TOP, 'web', 'package.json'))('playwright-core');
  } catch {
    throw new Error("playwright-core is not installed in web/: run 'make site'");
  }
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox as root in a container; /dev/shm may be tiny there.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
