// `ebws doctor` against every layout `ebws local up` emulates, then against deliberately broken layouts built here
// with real HAProxy (and the sample app), certificates made by the test; headless Chromium must agree on the
// transport reached.
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'

import {SAMPLE_APP_DIR, localDown, localUp} from '../../src/local/run.ts'
import type {LayoutMode} from '../../src/listeners/modes.ts'
import {portIsFree, startDetached, stopProcess, type StartedProcess, waitForPort} from '../../src/local/processes.ts'
import {generateCertificate} from '../bench/certificates.ts'
import {envelope, runCli} from '../helpers/cli.ts'
import {browserTransport, doctor, ENV, expectStatuses, nginxRedirect, type Run, transportOf} from './doctor-helpers.ts'
import {freePorts, type Stack} from './helpers.ts'

/**
 * `ebws local up` on free ports, like helpers.ts up(), but also making sure nginx's health-check port (nginx port + 1,
 * which freePorts does not reserve) is free, and retrying when a port was taken meanwhile by a concurrent test.
 */
async function upStack(mode: LayoutMode, nginx = false): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    const [https, http, app, nginxPort] = (await freePorts(4)) as [number, number, number, number]
    if (nginx && !(await portIsFree(nginxPort + 1))) continue
    const stateDir = mkdtempSync(join(tmpdir(), `ebws-doctor-${mode}-`))
    try {
      const state = await localUp({
        mode,
        httpsPort: https,
        httpPort: http,
        app: 'sample',
        appPort: app,
        nginx,
        nginxPort,
        idleTimeoutSeconds: 60,
        allowedHosts: ['localhost', '127.0.0.1'],
        stateDir,
      })
      return {state, stateDir, https, http, app, nginx: nginxPort, down: async () => void (await localDown(stateDir))}
    } catch (err) {
      rmSync(stateDir, {recursive: true, force: true})
      if (attempt >= 5 || (err as {code?: string}).code !== 'PORT_IN_USE') throw err
    }
  }
}

describe('ebws doctor --local: every layout `ebws local up` emulates', () => {
  for (const {mode, nginx} of [
    {mode: 'websocket', nginx: false},
    {mode: 'websocket', nginx: true},
    {mode: 'http', nginx: false},
    {mode: 'http', nginx: true},
    {mode: 'proxy', nginx: false},
    {mode: 'proxy', nginx: true},
  ] as const) {
    it(`--mode ${mode}${nginx ? ' --nginx' : ''}`, async (t) => {
      const stack = await upStack(mode, nginx)
      t.after(async () => {
        await stack.down()
        rmSync(stack.stateDir, {recursive: true, force: true})
      })
      const run = await doctor(['--local', '--state-dir', stack.stateDir, '--sessions', '3'])
      const common = {
        dns: 'pass',
        redirect: 'pass',
        tls: 'pass',
        hsts: 'pass',
        stickiness: 'pass',
        'mixed-content': 'pass',
        'idle-timeout': 'skip',
        'proxy-protocol': 'pass',
      } as const
      if (mode === 'http') {
        expectStatuses(run, {...common, 'socketio-polling': 'warn', 'socketio-websocket': 'fail'})
        assert.equal(run.code, 1)
        assert.equal(transportOf(run), 'polling')
        assert.match(run.checks['socketio-websocket'].evidence, /400 with no Upgrade header back.*CLB HTTPS/)
        assert.match(
          run.checks['socketio-websocket'].fix ?? '',
          new RegExp(
            `^ebws local down --state-dir ${stack.stateDir} && ebws local up --mode websocket .*--local-https-port ${stack.https}`,
          ),
        )
        // For people: a mark, the id and the evidence per line, the fix under it; CHECK_FAILED on stderr, exit 1.
        const human = await runCli(['doctor', '--local', '--state-dir', stack.stateDir], {env: ENV})
        assert.equal(human.code, 1)
        assert.match(human.stdout, /^✔ dns {17}localhost resolves to/m)
        assert.match(human.stdout, /^! socketio-polling {4}polling works, but the upgrade got a 400/m)
        assert.match(human.stdout, /^✘ socketio-websocket {2}the upgrade got a 400.*\n {22}fix: ebws local down/m)
        assert.match(human.stdout, /^- idle-timeout {8}not run/m)
        assert.match(human.stderr, /^Error \(CHECK_FAILED\): 1 check failed: socketio-websocket\./m)
      } else {
        expectStatuses(run, {...common, 'socketio-polling': 'pass', 'socketio-websocket': 'pass'})
        assert.equal(run.code, 0)
        assert.equal(transportOf(run), 'websocket')
      }
      assert.match(
        run.checks.redirect.evidence,
        /301 https:\/\/localhost:\d+\/… \(same host, path and query\).*health check \/healthz answers 200/,
      )
      assert.match(run.checks.tls.evidence, /EC P-256.*refuses TLS 1\.0 and 1\.1/)
    })
  }

  it('the good layout: headless Chromium reaches the transport doctor reports (websocket)', async (t) => {
    const stack = await upStack('websocket')
    t.after(async () => {
      await stack.down()
      rmSync(stack.stateDir, {recursive: true, force: true})
    })
    const run = await doctor(['--local', '--state-dir', stack.stateDir])
    assert.equal(transportOf(run), 'websocket')
    assert.equal(await browserTransport(`https://localhost:${stack.https}/`), 'websocket')
  })

  it('an idle timeout of 5 s, probed for 8 s: closed before the first ping, fix raises the idle timeout', async (t) => {
    const [https, http, app] = (await freePorts(3)) as [number, number, number]
    const stateDir = mkdtempSync(join(tmpdir(), 'ebws-doctor-idle-'))
    t.after(async () => {
      await localDown(stateDir)
      rmSync(stateDir, {recursive: true, force: true})
    })
    await localUp({
      mode: 'websocket',
      httpsPort: https,
      httpPort: http,
      app: 'sample',
      appPort: app,
      nginx: false,
      nginxPort: 1,
      idleTimeoutSeconds: 5,
      allowedHosts: ['localhost'],
      stateDir,
    })
    const run = await doctor(['--local', '--state-dir', stateDir, '--idle-probe', '8s'])
    expectStatuses(run, {'idle-timeout': 'fail', 'socketio-websocket': 'pass'})
    const seconds = Number(/after ([\d.]+) s of silence/.exec(run.checks['idle-timeout'].evidence)?.[1])
    assert.ok(seconds >= 4.5 && seconds < 7, run.checks['idle-timeout'].evidence)
    assert.match(run.checks['idle-timeout'].evidence, /before Socket\.io's first ping at 25 s/)
    assert.match(run.checks['idle-timeout'].fix ?? '', /ebws local up --idle-timeout 60 /)
  })
})

/** Broken layouts: the sample app(s) behind a raw HAProxy config written here. */
describe('ebws doctor against broken layouts (raw HAProxy configs, certificates made by the test)', () => {
  // Made in before(), not here: a filtered run (--test-name-pattern) skips the hooks of a suite it does not enter.
  let dir: string
  const processes: StartedProcess[] = []
  let good: {pem: string; ca: string}
  after(async () => {
    for (const p of processes.reverse()) await stopProcess(p)
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  async function writeCert(name: string, opts: Parameters<typeof generateCertificate>[0]) {
    const cert = await generateCertificate(opts)
    const pem = join(dir, `${name}.pem`)
    writeFileSync(pem, cert.certificatePem + cert.privateKeyPem, {mode: 0o600})
    chmodSync(pem, 0o600)
    const ca = join(dir, `${name}-ca.pem`)
    writeFileSync(ca, cert.chainPem ?? cert.certificatePem)
    return {pem, ca}
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ebws-doctor-broken-'))
    good = await writeCert('good', {kind: 'rsa2048', domain: 'localhost'})
  })

  async function app(port: number, env: Record<string, string>): Promise<void> {
    const script = join(SAMPLE_APP_DIR, 'server.js')
    const proc = startDetached(`app-${port}`, [process.execPath, script], {
      log: join(dir, `app-${port}.log`),
      marker: script,
      cwd: SAMPLE_APP_DIR,
      env: {...process.env, HOST: '127.0.0.1', PORT: String(port), ALLOWED_HOSTS: 'localhost', ...env},
    })
    processes.push(proc)
    await waitForPort(port, proc, 15_000)
  }

  interface Layout {
    https: number
    http: number
    /** https frontend: TLS then bytes untouched (the CLB SSL listener), or HTTP with upgrades stripped (HTTPS listener). */
    secure?: 'ssl-tcp' | 'https-strip'
    /** http frontend: HTTP with X-Forwarded-Proto (HTTP listener), or bare TCP. */
    plain?: 'http' | 'tcp'
    pem?: string
    apps: number[]
    sendProxy?: boolean
    bindExtra?: string
    redirectLoop?: boolean
    /** Send the http frontend's requests to this port (an nginx) instead of the apps. */
    plainTo?: number
  }

  async function haproxy(l: Layout): Promise<void> {
    const server = (name: string) =>
      l.apps.map((p, i) => `    server ${name}${i} 127.0.0.1:${p}${l.sendProxy ? ' send-proxy' : ''}`)
    const secureHttp = l.secure === 'https-strip'
    const loop = l.redirectLoop
      ? [`    http-request redirect location https://localhost:${l.https}%[capture.req.uri] code 301`]
      : []
    const cfg = [
      'defaults',
      '    timeout connect 5s',
      '    timeout client 60s',
      '    timeout server 60s',
      '    timeout tunnel 60s',
      'frontend secure',
      `    bind 127.0.0.1:${l.https} ssl crt ${l.pem ?? good.pem}${l.bindExtra ?? ''}`,
      ...(secureHttp || l.redirectLoop
        ? [
            '    mode http',
            '    option forwardfor',
            '    http-request set-header X-Forwarded-Proto https',
            '    http-request del-header Upgrade',
            '    http-request del-header Connection',
            ...loop,
          ]
        : ['    mode tcp']),
      '    default_backend secure_app',
      'backend secure_app',
      `    mode ${secureHttp || l.redirectLoop ? 'http' : 'tcp'}`,
      '    balance roundrobin',
      ...server('s'),
      'frontend plain',
      `    bind 127.0.0.1:${l.http}`,
      ...(l.plain === 'tcp'
        ? ['    mode tcp']
        : ['    mode http', '    option forwardfor', '    http-request set-header X-Forwarded-Proto http', ...loop]),
      '    default_backend plain_app',
      'backend plain_app',
      `    mode ${l.plain === 'tcp' ? 'tcp' : 'http'}`,
      '    balance roundrobin',
      ...(l.plainTo ? [`    server nginx 127.0.0.1:${l.plainTo}`] : server('p')),
    ].join('\n')
    const file = join(dir, `haproxy-${l.https}.cfg`)
    writeFileSync(file, `${cfg}\n`)
    const proc = startDetached(`haproxy-${l.https}`, ['haproxy', '-db', '-f', file], {
      log: join(dir, `haproxy-${l.https}.log`),
      marker: file,
    })
    processes.push(proc)
    await waitForPort(l.https, proc, 10_000)
    await waitForPort(l.http, proc, 10_000)
  }

  /** One layout: apps (env per app), HAProxy, then doctor on https://localhost:<https>/. */
  async function layout(
    spec: Omit<Layout, 'https' | 'http' | 'apps'> & {appEnv?: Record<string, string>; instances?: number},
    args: string[] = [],
    ca = good.ca,
  ): Promise<Run & {https: number; http: number}> {
    const ports = await freePorts(2 + (spec.instances ?? 1))
    const [https, http, ...apps] = ports as [number, number, ...number[]]
    for (const p of apps) await app(p, {HTTPS_PORT: String(https), ...spec.appEnv})
    await haproxy({...spec, https, http, apps})
    return {
      ...(await doctor([`https://localhost:${https}/`, '--http-port', String(http), '--ca', ca, ...args])),
      https,
      http,
    }
  }

  it('control: the CLB websocket layout built by hand passes everything', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'http'})
    expectStatuses(run, {
      dns: 'pass',
      redirect: 'pass',
      tls: 'pass',
      hsts: 'pass',
      'socketio-polling': 'pass',
      'socketio-websocket': 'pass',
      'mixed-content': 'pass',
      'proxy-protocol': 'pass',
      stickiness: 'skip',
      'idle-timeout': 'skip',
    })
    assert.match(run.checks.tls.evidence, /RSA 2048, issued by ebws bench CA/)
    assert.equal(run.code, 0)
  })

  it('an HTTPS listener that strips Upgrade/Connection: polling only, fix is listeners fix; Chromium agrees (polling)', async () => {
    const run = await layout({secure: 'https-strip', plain: 'http'})
    expectStatuses(run, {
      redirect: 'pass',
      tls: 'pass',
      'socketio-polling': 'warn',
      'socketio-websocket': 'fail',
      'proxy-protocol': 'pass',
    })
    assert.equal(run.code, 1)
    assert.match(
      run.checks['socketio-websocket'].evidence,
      /the upgrade got a 400 with no Upgrade header back.*CLB HTTPS/,
    )
    assert.match(run.checks['socketio-websocket'].fix ?? '', /^ebws listeners fix --domain localhost /)
    assert.equal(transportOf(run), 'polling')
    assert.equal(await browserTransport(`https://localhost:${run.https}/`), 'polling')
  })

  it('no redirect on port 80 (a TCP listener: no X-Forwarded-Proto): redirect fails, fix makes it an HTTP listener', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'tcp'})
    expectStatuses(run, {redirect: 'fail', tls: 'pass', 'socketio-websocket': 'pass'})
    assert.match(run.checks.redirect.evidence, /answered 404 .*no redirect to https/)
    assert.match(
      run.checks.redirect.fix ?? '',
      /^ebws listeners fix --domain localhost \(HTTP \d+ -> HTTP sends X-Forwarded-Proto: http/,
    )
  })

  it('a redirect to the wrong port', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'http', appEnv: {HTTPS_PORT: '443'}})
    expectStatuses(run, {redirect: 'fail'})
    assert.match(
      run.checks.redirect.evidence,
      new RegExp(
        `-> 301 https://localhost/ebws-doctor/probe\\?q=redirect-check: goes to the wrong port \\(443, expected ${run.https}\\)`,
      ),
    )
    assert.match(run.checks.redirect.fix ?? '', new RegExp(`HTTPS_PORT=${run.https}`))
  })

  it('a redirect loop (https requests redirected again)', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'http', redirectLoop: true})
    expectStatuses(run, {redirect: 'fail'})
    assert.match(run.checks.redirect.evidence, /redirect loop: http:\/\/.* -> https:\/\/.* -> https:\/\//)
    assert.match(run.checks.redirect.fix ?? '', /X-Forwarded-Proto/)
  })

  it('nginx redirecting to $host: the redirect works, but a spoofed Host is redirected to (an open redirect)', async () => {
    const [https, http, appPort, nginxPort] = (await freePorts(4)) as [number, number, number, number]
    await app(appPort, {HTTPS_PORT: String(https)})
    await nginxRedirect(dir, processes, nginxPort, https)
    await haproxy({https, http, apps: [appPort], secure: 'ssl-tcp', plain: 'http', plainTo: nginxPort})
    const run = await doctor([`https://localhost:${https}/`, '--http-port', String(http), '--ca', good.ca])
    expectStatuses(run, {redirect: 'fail', 'socketio-websocket': 'pass'})
    assert.match(
      run.checks.redirect.evidence,
      /^open redirect: Host: ebws-doctor-spoofed\.invalid is redirected to https:\/\/ebws-doctor-spoofed\.invalid:/,
    )
    assert.match(run.checks.redirect.fix ?? '', /allowedHosts: \['localhost'\].*not \$host/)
  })

  it('an expired certificate', async () => {
    const cert = await writeCert('expired', {kind: 'expired', domain: 'localhost', expiresInMs: 1000})
    await sleep(1500)
    const run = await layout({secure: 'ssl-tcp', plain: 'http', pem: cert.pem}, [], cert.ca)
    expectStatuses(run, {tls: 'fail', 'socketio-websocket': 'pass', redirect: 'pass'})
    assert.match(run.checks.tls.evidence, /^certificate expired on \d{4}-\d\d-\d\d/)
    assert.match(run.checks.tls.fix ?? '', /^ebws listeners fix --domain localhost \(picks the ISSUED ACM certificate/)
  })

  it('a certificate for another host', async () => {
    const cert = await writeCert('other', {kind: 'rsa2048', domain: 'other.example'})
    const run = await layout({secure: 'ssl-tcp', plain: 'http', pem: cert.pem}, [], cert.ca)
    expectStatuses(run, {tls: 'fail', 'socketio-websocket': 'pass'})
    assert.match(run.checks.tls.evidence, /does not cover localhost \(it is for DNS:other\.example\)/)
    assert.match(run.checks.tls.fix ?? '', /^ebws listeners fix --domain localhost/)
  })

  it("TLS 1.0 and 1.1 allowed (this machine's OpenSSL 3 offers them at SECLEVEL=0): a warning naming the SSL policy", async () => {
    const run = await layout({
      secure: 'ssl-tcp',
      plain: 'http',
      bindExtra: ' ssl-min-ver TLSv1.0 ciphers DEFAULT:@SECLEVEL=0',
    })
    expectStatuses(run, {tls: 'warn'})
    assert.match(run.checks.tls.evidence, /^accepts TLS 1\.0 and TLS 1\.1/)
    assert.match(
      run.checks.tls.fix ?? '',
      /ELBSecurityPolicy-TLS-1-2-2017-01.*ebws listeners fix --domain localhost --tls-policy ELBSecurityPolicy-TLS-1-2-2017-01$/,
    )
    assert.equal(run.code, 0, 'a warning alone does not fail the run')
  })

  it('PROXY expected but not sent: every request closed; change the load balancer (--mode proxy)', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'tcp', appEnv: {PROXY_PROTOCOL: '1'}})
    expectStatuses(run, {'proxy-protocol': 'fail', tls: 'pass'})
    assert.match(
      run.checks['proxy-protocol'].evidence,
      /closed without a response.*expects a PROXY line the load balancer does not send/,
    )
    assert.match(
      run.checks['proxy-protocol'].fix ?? '',
      /^Change the load balancer.*ebws listeners fix --domain localhost --mode proxy/,
    )
    assert.match(run.checks['socketio-polling'].fix ?? '', /^Fix the Proxy Protocol mismatch first/)
  })

  it('PROXY sent but not expected: every request a bare 400; change the backend (or disable it)', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'tcp', sendProxy: true, appEnv: {PROXY_PROTOCOL: '0'}})
    expectStatuses(run, {'proxy-protocol': 'fail', tls: 'pass'})
    assert.match(run.checks['proxy-protocol'].evidence, /bare 400.*sends a PROXY line the backend does not expect/)
    assert.match(
      run.checks['proxy-protocol'].fix ?? '',
      /^Change the backend: deploy ebws's \.platform\/variants\/proxy-protocol.*ebws proxy-protocol disable$/,
    )
  })

  it('two app instances without stickiness: polling sessions get "Session ID unknown"', async () => {
    const run = await layout({secure: 'ssl-tcp', plain: 'http', instances: 2}, ['--sessions', '4'])
    expectStatuses(run, {stickiness: 'fail', 'socketio-websocket': 'pass'})
    assert.match(run.checks.stickiness.evidence, /of 4 polling sessions got 400 "Session ID unknown"/)
    assert.match(
      run.checks.stickiness.fix ?? '',
      /transports: \['websocket'\].*ebws listeners fix --domain localhost --mode http --stickiness/,
    )
  })

  it('a dead host fails in seconds, clearly', async () => {
    const [dead, deadHttp] = (await freePorts(2)) as [number, number]
    const started = Date.now()
    const run = await doctor([`https://localhost:${dead}/`, '--http-port', String(deadHttp)])
    assert.ok(Date.now() - started < 8000)
    expectStatuses(run, {dns: 'pass', tls: 'fail', redirect: 'fail', 'socketio-websocket': 'fail'})
    assert.match(run.checks.tls.evidence, /connection refused/)
  })
})

describe('ebws doctor against a host that accepts connections and never answers', () => {
  it('every step is bounded: the run ends in seconds and says "no answer within 4 s"', async (t) => {
    const sockets = new Set<Socket>()
    const silent = createServer((s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      for (const s of sockets) s.destroy()
      silent.close()
    })
    const port = (silent.address() as AddressInfo).port
    const started = Date.now()
    const run = await doctor([
      `https://127.0.0.1:${port}/`,
      '--http-port',
      String(port),
      '--sessions',
      '2',
      '--idle-probe',
      '30s',
    ])
    const took = Date.now() - started
    assert.ok(took < 12_000, `took ${took} ms`)
    expectStatuses(run, {
      dns: 'pass',
      tls: 'fail',
      redirect: 'fail',
      'socketio-polling': 'fail',
      'socketio-websocket': 'fail',
      stickiness: 'fail',
      'idle-timeout': 'skip',
    })
    assert.match(run.checks.tls.evidence, /no TLS handshake with 127\.0\.0\.1:\d+: no answer within 4 s/)
    assert.match(run.checks.redirect.evidence, /no answer within 4 s/)
  })
})

describe('ebws doctor: bad input exits 2', () => {
  it('no URL, no environment, no --local', async () => {
    const r = await runCli(['doctor', '--json'], {env: {...ENV, EBWS_ENVIRONMENT: ''}, cwd: tmpdir()})
    assert.equal(r.code, 2, r.stdout + r.stderr)
  })
  it('a URL that is not http(s), and --local where nothing runs', async () => {
    assert.equal((await runCli(['doctor', 'ftp://example.com/'], {env: ENV})).code, 2)
    const empty = mkdtempSync(join(tmpdir(), 'ebws-doctor-empty-'))
    try {
      const r = await runCli(['doctor', '--local', '--state-dir', empty, '--json'], {env: ENV})
      assert.equal(r.code, 2)
      assert.equal(envelope(r).error?.code, 'FILE_NOT_FOUND')
    } finally {
      rmSync(empty, {recursive: true, force: true})
    }
  })
})
