// demo-helpers.mjs: what page.test.mjs and demo.test.mjs share: a server on a free port, Debian's
// headless Chromium with a fresh profile, a log of every request and console problem, and
// helpers to open the demo page and take screenshots (build/screenshots/).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SHOTS = path.join(HERE, '..', '..', 'build', 'screenshots');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts the server and a browser; close() stops both and deletes the profile and downloads. */
export async function launch({ width = 1440, height = 900 } = {}) {
    const server = await startServer({ port: 0 });
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-demo-'));
    const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmrec-dl-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium', headless: true, args: ARGS, acceptDownloads: true,
        viewport: { width, height }, downloadsPath: downloads,
    });
    const requests = [];
    const events = []; // { url, sw }: every request the browser reports (page, workers, service worker)
    const problems = [];
    context.on('request', (r) => { requests.push(r.url()); events.push({ url: r.url(), sw: !!r.serviceWorker() }); });
    const watch = (page) => {
        page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    };
    context.on('page', watch);
    for (const p of context.pages()) watch(p);
    const page = context.pages()[0] ?? await context.newPage();
    return {
        server, context, page, requests, events, problems,
        tmp: downloads,
        foreign() {
            const origin = new URL(this.server.url).origin;
            return requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
        },
        async close() {
            await context.close();
            await this.server.close(); // a test may have restarted it
            fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10 }); // see killed-tab.test.mjs
            fs.rmSync(downloads, { recursive: true, force: true });
        },
    };
}

/** Opens (or reloads) the demo page and waits until it is ready; returns the status text. */
export async function openDemo(page, url) {
    const response = await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 60_000 });
    const text = await page.textContent('#status');
    if (await page.getAttribute('#status', 'data-state') !== 'ready') throw new Error(`the page did not start: ${text}`);
    return { response, text };
}

/** A screenshot of the viewport with `selector` scrolled to the top (under the sticky header). */
export async function shot(page, name, selector) {
    fs.mkdirSync(SHOTS, { recursive: true });
    if (selector) {
        await page.evaluate((sel) => {
            const top = document.querySelector(sel).getBoundingClientRect().top + window.scrollY;
            const header = document.querySelector('header.top').getBoundingClientRect().height;
            window.scrollTo({ top: top - header - 12, behavior: 'instant' });
        }, selector);
    }
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export const texts = (page, sel) => page.locator(sel).allTextContents();
