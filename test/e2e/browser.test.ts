import assert from 'node:assert/strict'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type Browser, chromium} from 'playwright-core'

import {type Stack, up} from './helpers.ts'

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts')

// The machine's Chromium (Debian package); never downloaded.
const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
  ],
}

for (const {mode, nginx, transport, lb} of [
  {mode: 'websocket', nginx: false, transport: 'websocket', lb: 'classic'},
  {mode: 'proxy', nginx: true, transport: 'websocket', lb: 'classic'},
  {mode: 'http', nginx: false, transport: 'polling', lb: 'classic'},
  // ALB: 301 at port 80, TLS ended and WebSockets passed on 443. NLB: TCP pass-through with PROXY v2, TLS per instance.
  {mode: 'websocket', nginx: false, transport: 'websocket', lb: 'application'},
  {mode: 'proxy', nginx: false, transport: 'websocket', lb: 'network'},
] as const) {
  const label =
    lb === 'classic'
      ? `${mode} layout${nginx ? ' through nginx' : ''}`
      : lb === 'application'
        ? 'ALB'
        : 'NLB with PROXY v2'
  describe(`headless Chromium, ${label}`, () => {
    let stack: Stack
    let browser: Browser
    before(async () => {
      stack = await up(mode, nginx, {loadBalancer: lb})
      browser = await chromium.launch(LAUNCH)
    })
    after(async () => {
      await browser?.close()
      await stack?.down()
    })

    it(`http:// lands on https://, "connected via ${transport}", echo and chat work, no console errors`, async () => {
      const context = await browser.newContext({ignoreHTTPSErrors: true})
      const page = await context.newPage()
      const problems: string[] = []
      page.on('console', (msg) => {
        if (msg.type() === 'error' || /mixed content/i.test(msg.text())) problems.push(`${msg.type()}: ${msg.text()}`)
      })
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))

      const response = await page.goto(`http://localhost:${stack.http}/`)
      assert.equal(page.url(), `https://localhost:${stack.https}/`)
      assert.equal(response?.status(), 200)
      await page
        .locator('#state')
        .filter({hasText: `connected via ${transport}`})
        .waitFor({timeout: 10_000})
      assert.equal(await page.locator('#transport').textContent(), transport)
      assert.equal(await page.locator('#page-protocol').textContent(), 'https')
      await page.locator('#rtt').filter({hasText: /ms$/}).waitFor({timeout: 10_000})
      await page
        .locator('#whoami')
        .filter({hasText: /over https$/})
        .waitFor({timeout: 10_000})

      await page.fill('#message', `hello from ${mode}`)
      await page.click('button[type=submit]')
      await page
        .locator('#messages li')
        .filter({hasText: `hello from ${mode}`})
        .waitFor({timeout: 10_000})

      mkdirSync(ARTIFACTS, {recursive: true})
      await page.screenshot({
        path: join(ARTIFACTS, `sample-${lb === 'classic' ? '' : `${lb}-`}${mode}${nginx ? '-nginx' : ''}.png`),
        fullPage: true,
      })
      // Where the layout blocks upgrades, Chromium logs the one failed WebSocket attempt before the fallback.
      const expected = (p: string) =>
        transport === 'polling' &&
        /WebSocket connection to 'wss:\/\/localhost:\d+\/socket\.io\/.*Unexpected response code: 400/.test(p)
      assert.deepEqual(
        problems.filter((p) => !expected(p)),
        [],
      )
      if (transport === 'polling')
        assert.equal(problems.length, 1, 'exactly one failed WebSocket attempt, then polling')
      await context.close()
    })
  })
}
