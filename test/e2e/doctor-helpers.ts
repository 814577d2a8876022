// What the doctor e2e tests share: running `ebws doctor --json` as a child process and reading its checks, asserting
// verdicts, the transport headless Chromium reaches on the sample page, and a real nginx doing the common
// hand-written redirect to $host.
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {chromium} from 'playwright-core'

import {CHECK_IDS, type Check, type CheckId, type DoctorResult} from '../../src/doctor/types.ts'
import {startDetached, type StartedProcess, waitForPort} from '../../src/local/processes.ts'
import {envelope, runCli} from '../helpers/cli.ts'

export const ENV = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'),
)

export interface Run {
  code: number
  checks: Record<CheckId, Check>
  stdout: string
}

export async function doctor(args: string[]): Promise<Run> {
  const r = await runCli(['doctor', ...args, '--json'], {env: ENV, timeoutMs: 60_000})
  const doc = envelope<DoctorResult>(r)
  assert.ok(doc.result, `no result: ${r.stdout} ${r.stderr}`)
  if (r.code !== 0) assert.equal(doc.error?.code, 'CHECK_FAILED')
  // Exactly the ten ids, in order, each exactly {id, status, evidence, fix}.
  assert.deepEqual(
    doc.result.checks.map((c) => c.id),
    [...CHECK_IDS],
  )
  for (const c of doc.result.checks) assert.deepEqual(Object.keys(c).sort(), ['evidence', 'fix', 'id', 'status'])
  assert.deepEqual(Object.keys(doc.result), ['checks'])
  const checks = Object.fromEntries(doc.result.checks.map((c) => [c.id, c])) as Record<CheckId, Check>
  return {code: r.code, checks, stdout: r.stdout}
}

export const transportOf = (run: Run) => /transport reached: (\w+)/.exec(run.checks['socketio-polling'].evidence)?.[1]

export function expectStatuses(run: Run, expected: Partial<Record<CheckId, Check['status']>>) {
  for (const [id, status] of Object.entries(expected))
    assert.equal(run.checks[id as CheckId].status, status, `${id}: ${JSON.stringify(run.checks[id as CheckId])}`)
}

const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
}

/** The transport the sample page reports once connected, in headless Chromium. */
export async function browserTransport(url: string): Promise<string> {
  const browser = await chromium.launch(LAUNCH)
  try {
    const context = await browser.newContext({ignoreHTTPSErrors: true})
    const page = await context.newPage()
    await page.goto(url)
    await page
      .locator('#state')
      .filter({hasText: /connected via/})
      .waitFor({timeout: 15_000})
    // The page upgrades polling -> websocket when it can; give an upgrade the time to happen before reading.
    await sleep(1000)
    return (await page.locator('#transport').textContent()) ?? ''
  } finally {
    await browser.close()
  }
}

/**
 * A real nginx on `port` (files under `dir`) whose only job is the common hand-written redirect:
 * `return 301 https://$host:HTTPS_PORT$request_uri`. The process is pushed to `processes` for the caller to stop.
 */
export async function nginxRedirect(
  dir: string,
  processes: StartedProcess[],
  port: number,
  httpsPort: number,
): Promise<void> {
  const prefix = join(dir, `nginx-${port}`)
  mkdirSync(join(prefix, 'tmp'), {recursive: true})
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${prefix}/tmp/${t};`)
    .join('\n')
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(
    conf,
    [
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      temp,
      `  server { listen 127.0.0.1:${port}; location / { return 301 https://$host:${httpsPort}$request_uri; } }`,
      '}',
    ].join('\n'),
  )
  const proc = startDetached(
    `nginx-${port}`,
    ['nginx', '-p', `${prefix}/`, '-c', conf, '-e', `${prefix}/error.log`, '-g', 'daemon off;'],
    {log: join(prefix, 'out.log'), marker: prefix},
  )
  processes.push(proc)
  await waitForPort(port, proc, 10_000)
}
