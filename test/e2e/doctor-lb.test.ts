// `ebws doctor --local` against the ALB and NLB layouts `ebws local up --lb application|network` emulates (real
// HAProxy, nginx, the sample app, real clients and headless Chromium), then against a deliberately broken variant of
// each: the generated HAProxy configuration rewritten before it starts (local up's editHaproxyConfig seam).
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it, type TestContext} from 'node:test'

import type {LayoutMode} from '../../src/listeners/modes.ts'
import type {StartedProcess} from '../../src/local/processes.ts'
import {stopProcess} from '../../src/local/processes.ts'
import {localDown, localUp, type LocalUpOptions} from '../../src/local/run.ts'
import {runCli} from '../helpers/cli.ts'
import {browserTransport, doctor, ENV, expectStatuses, nginxRedirect, type Run, transportOf} from './doctor-helpers.ts'
import {appAndNginxPorts, freePorts, isPortClash} from './helpers.ts'

interface LbStack {
  stateDir: string
  https: number
  http: number
  nginxPort: number
}

type UpOptions = Partial<Pick<LocalUpOptions, 'loadBalancer' | 'instances' | 'stickiness' | 'nginx'>> & {
  mode?: LayoutMode
  /** Ports the edit needs (e.g. an nginx it sends port 80 to), given the stack's. */
  edit?: (config: string, ports: {extra: number}) => string
}

/** `ebws local up` on free ports and a state folder removed after the test; retried when a port was taken meanwhile. */
async function upLb(t: TestContext, options: UpOptions): Promise<LbStack & {extra: number}> {
  const instances = options.instances ?? 1
  for (let attempt = 1; ; attempt++) {
    const [https, http, extra] = (await freePorts(3)) as [number, number, number]
    const [app, nginxPort] = (await appAndNginxPorts(instances)) as [number, number]
    const stateDir = mkdtempSync(join(tmpdir(), `ebws-doctor-${options.loadBalancer}-`))
    try {
      await localUp({
        mode: options.mode ?? 'websocket',
        loadBalancer: options.loadBalancer,
        instances,
        stickiness: options.stickiness ?? false,
        httpsPort: https,
        httpPort: http,
        app: 'sample',
        appPort: app,
        nginx: options.nginx ?? false,
        nginxPort,
        idleTimeoutSeconds: 60,
        allowedHosts: ['localhost', '127.0.0.1'],
        stateDir,
        ...(options.edit ? {editHaproxyConfig: (c: string) => options.edit!(c, {extra})} : {}),
      })
      t.after(async () => {
        await localDown(stateDir)
        rmSync(stateDir, {recursive: true, force: true})
      })
      return {stateDir, https, http, nginxPort, extra}
    } catch (error) {
      rmSync(stateDir, {recursive: true, force: true})
      if (attempt >= 5 || !isPortClash(error)) throw error
    }
  }
}

/** A rewrite of the generated configuration that must find what it replaces (so a changed generator fails loudly). */
function replaced(config: string, from: string | RegExp, to: string): string {
  const out =
    typeof from === 'string'
      ? config.replaceAll(from, to)
      : config.replace(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`), to)
  assert.notEqual(out, config, `the HAProxy config no longer contains ${String(from)}`)
  return out
}

const local = (s: LbStack, ...extra: string[]) => doctor(['--local', '--state-dir', s.stateDir, ...extra])

const ALL_PASS = {
  dns: 'pass',
  redirect: 'pass',
  tls: 'pass',
  hsts: 'pass',
  'socketio-polling': 'pass',
  'socketio-websocket': 'pass',
  stickiness: 'pass',
  'mixed-content': 'pass',
  'idle-timeout': 'skip',
  'proxy-protocol': 'pass',
} as const

/** Runs a doctor fix as printed (`ebws local down … && ebws local up … (why)`), each command in turn. */
async function runFix(fix: string): Promise<void> {
  const command = fix.replace(/ \([^()]*\)$/, '')
  for (const part of command.split(' && ')) {
    const words = part.split(' ')
    assert.equal(words[0], 'ebws', `a runnable ebws command: ${part}`)
    const r = await runCli(words.slice(1), {env: ENV, timeoutMs: 60_000})
    assert.equal(r.code, 0, `${part}\n${r.stdout}${r.stderr}`)
  }
}

/** The ALB's redirect keeps the Host sent (#{host}), as a real one does: a warning naming how to pin it. */
function assertReflectedHostWarning(run: Run) {
  assert.match(
    run.checks.redirect.evidence,
    /^Host: ebws-doctor-spoofed\.invalid is redirected to https:\/\/ebws-doctor-spoofed\.invalid:\d+\/ebws-doctor\/probe\?q=redirect-check by the load balancer's own redirect action \(Server: awselb\/2\.0\).*a browser only sends Host names that resolve to this load balancer.*a cache in front/,
  )
  assert.match(
    run.checks.redirect.fix ?? '',
    /^Pin the redirect's Host to localhost: aws elbv2 modify-listener --listener-arn .*Host=localhost,Path=\/#\{path\},Query=#\{query\},StatusCode=HTTP_301\}'.*Host: "localhost" \(not "#\{host\}"\) in the \.ebextensions override of AWSEBV2LoadBalancerListener.*Or let the app redirect, to its allowed hosts only: ebws listeners fix --domain localhost --redirect app$/,
  )
  // The listener redirects /healthz too; that is not a failure: ALB health checks go to the targets directly.
  assert.match(
    run.checks.redirect.evidence,
    /health check \/healthz: redirected on port \d+ by the load balancer like every request; its health checks reach the targets directly/,
  )
}

describe('ebws doctor --local: the ALB and NLB layouts `ebws local up` emulates', () => {
  for (const layout of [
    {loadBalancer: 'application', sessions: 3},
    {loadBalancer: 'application', nginx: true, sessions: 3},
    {loadBalancer: 'application', instances: 2, stickiness: true, sessions: 4},
    {loadBalancer: 'network', sessions: 3},
    {loadBalancer: 'network', mode: 'proxy', sessions: 3},
  ] as const) {
    const name = [
      `--lb ${layout.loadBalancer}`,
      'mode' in layout ? `--mode ${layout.mode}` : '',
      'nginx' in layout ? '--nginx' : '',
      'instances' in layout ? `--instances ${layout.instances} --stickiness` : '',
    ]
      .filter(Boolean)
      .join(' ')
    it(name, async (t) => {
      const stack = await upLb(t, layout)
      const run = await local(stack, '--sessions', String(layout.sessions))
      if (layout.loadBalancer === 'application') {
        expectStatuses(run, {...ALL_PASS, redirect: 'warn'})
        assertReflectedHostWarning(run)
        assert.equal(run.code, 0, 'a warning alone does not fail the run')
      } else {
        expectStatuses(run, ALL_PASS)
        // No X-Forwarded-Proto from an NLB: the instance's port-80 endpoint says http, so the app redirects by port,
        // to its allow-listed host only.
        assert.match(
          run.checks.redirect.evidence,
          /-> 301 https:\/\/localhost:\d+\/… \(same host, path and query\); a spoofed Host is not followed \(301 -> localhost:\d+\); health check \/healthz answers 200 over http/,
        )
        assert.equal(run.code, 0)
      }
      assert.equal(transportOf(run), 'websocket')
      assert.match(run.checks.stickiness.evidence, new RegExp(`^${layout.sessions} polling sessions of 7 requests`))
    })
  }

  it('--lb application, for people: "!" on the redirect, exit 0; headless Chromium reaches websocket, as doctor says', async (t) => {
    const stack = await upLb(t, {loadBalancer: 'application'})
    const human = await runCli(['doctor', '--local', '--state-dir', stack.stateDir], {env: ENV, timeoutMs: 60_000})
    assert.equal(human.code, 0, human.stdout + human.stderr)
    assert.match(
      human.stdout,
      /^! redirect {12}Host: ebws-doctor-spoofed\.invalid is redirected.*\n {22}fix: Pin the redirect's Host/m,
    )
    assert.match(human.stdout, /^7 passed, 1 warnings, 0 failed, 2 skipped$/m)
    assert.match(human.stdout, /transport reached: websocket/)
    assert.equal(await browserTransport(`https://localhost:${stack.https}/`), 'websocket')
  })
})

describe('ebws doctor --local: broken ALB and NLB variants', () => {
  it('ALB without the redirect on port 80 (a fixed 404): redirect fails; the printed fix runs and brings it back', async (t) => {
    const stack = await upLb(t, {
      loadBalancer: 'application',
      edit: (c) =>
        replaced(
          c,
          /^ {4}http-request redirect location .*$/m,
          '    http-request return status 404 content-type text/plain string "Not Found"',
        ),
    })
    const run = await local(stack)
    expectStatuses(run, {redirect: 'fail', tls: 'pass', 'socketio-websocket': 'pass', 'proxy-protocol': 'pass'})
    assert.match(run.checks.redirect.evidence, /answered 404 "Not Found": no redirect to https/)
    const fix = run.checks.redirect.fix ?? ''
    assert.match(
      fix,
      new RegExp(
        `^ebws local down --state-dir ${stack.stateDir} && ebws local up .*--lb application .*\\(the ALB's HTTP:80 listener gets a redirect action: 301 to https, host, path and query kept\\)$`,
      ),
    )
    await runFix(fix)
    const again = await local(stack)
    expectStatuses(again, {...ALL_PASS, redirect: 'warn', stickiness: 'skip'})
  })

  it('ALB whose HTTPS side strips Upgrade/Connection: polling only, blamed on what sits behind the ALB; Chromium agrees', async (t) => {
    const stack = await upLb(t, {
      loadBalancer: 'application',
      edit: (c) =>
        replaced(
          c,
          '    default_backend alb_default_process',
          '    http-request del-header Upgrade\n    http-request del-header Connection\n    default_backend alb_default_process',
        ),
    })
    const run = await local(stack)
    expectStatuses(run, {redirect: 'warn', tls: 'pass', 'socketio-polling': 'warn', 'socketio-websocket': 'fail'})
    assert.equal(run.code, 1)
    assert.match(
      run.checks['socketio-websocket'].evidence,
      /the upgrade got a 400 with no Upgrade header back.*an ALB passes them on its HTTP\/HTTPS listeners, so something behind it dropped them/,
    )
    assert.doesNotMatch(run.checks['socketio-websocket'].evidence, /CLB/)
    assert.match(run.checks['socketio-websocket'].fix ?? '', /^ebws local down .* && ebws local up .*--lb application/)
    assert.equal(transportOf(run), 'polling')
    assert.equal(await browserTransport(`https://localhost:${stack.https}/`), 'polling')
  })

  it('ALB with two instances and no stickiness: "Session ID unknown"; the fix is the AWSALB cookie (WebSockets kept)', async (t) => {
    const stack = await upLb(t, {loadBalancer: 'application', instances: 2})
    const run = await local(stack, '--sessions', '4')
    expectStatuses(run, {stickiness: 'fail', 'socketio-websocket': 'pass'})
    assert.match(run.checks.stickiness.evidence, /of 4 polling sessions got 400 "Session ID unknown"/)
    assert.match(
      run.checks.stickiness.fix ?? '',
      /^Enable stickiness on the default process \(the AWSALB cookie; WebSockets keep working on an ALB\): ebws local down .* && ebws local up --stickiness .*--lb application --instances 2 .*; or let clients use WebSocket only/,
    )
  })

  describe('behind the ALB, port 80 forwarded to an nginx that redirects to $host', () => {
    let dir: string
    const processes: StartedProcess[] = []
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ebws-doctor-alb-nginx-'))
    })
    after(async () => {
      for (const p of processes.reverse()) await stopProcess(p)
      if (dir) rmSync(dir, {recursive: true, force: true})
    })

    it("the app's reflected Host stays an open redirect (a failure), unlike the load balancer's own", async (t) => {
      const stack = await upLb(t, {
        loadBalancer: 'application',
        edit: (c, {extra}) =>
          replaced(
            replaced(c, /^ {4}http-request redirect location .*$/m, '    default_backend alb_80_nginx'),
            '    http-after-response set-header Server awselb/2.0\n',
            '',
          ) + `\nbackend alb_80_nginx\n    mode http\n    server nginx 127.0.0.1:${extra}\n`,
      })
      await nginxRedirect(dir, processes, stack.extra, stack.https)
      const run = await local(stack)
      expectStatuses(run, {redirect: 'fail', 'socketio-websocket': 'pass'})
      assert.match(
        run.checks.redirect.evidence,
        /^open redirect: Host: ebws-doctor-spoofed\.invalid is redirected to https:\/\/ebws-doctor-spoofed\.invalid:/,
      )
      assert.match(run.checks.redirect.fix ?? '', /allowedHosts: \['localhost'\].*not \$host/)
    })
  })

  it('NLB expecting PROXY v2 that is not sent: every connection closed; change the load balancer (PROXY v2 on)', async (t) => {
    const stack = await upLb(t, {
      loadBalancer: 'network',
      mode: 'proxy',
      edit: (c) => replaced(c, ' send-proxy-v2', ''),
    })
    const run = await local(stack)
    expectStatuses(run, {'proxy-protocol': 'fail', tls: 'fail', redirect: 'fail', 'socketio-websocket': 'fail'})
    assert.match(
      run.checks['proxy-protocol'].evidence,
      /closed without a response.*the backend expects a PROXY line the load balancer does not send/,
    )
    assert.match(
      run.checks['proxy-protocol'].fix ?? '',
      /^Change the load balancer, since the backend is set up for PROXY v2: ebws local down .* && ebws local up --mode proxy .*--lb network .*\(the target group's proxy_protocol_v2\.enabled\)/,
    )
    // The TLS handshake fails because of it (TLS ends on the instance): named as the cause, not a certificate problem.
    assert.match(run.checks.tls.fix ?? '', /^Fix the Proxy Protocol mismatch first \(proxy-protocol\)/)
  })

  it('NLB sending PROXY v2 the instances do not expect: TLS cut, plain http a bare 400; change the backend', async (t) => {
    const stack = await upLb(t, {loadBalancer: 'network', mode: 'proxy', edit: (c) => replaced(c, ' accept-proxy', '')})
    const run = await local(stack)
    expectStatuses(run, {'proxy-protocol': 'fail', tls: 'fail', redirect: 'fail'})
    assert.match(
      run.checks['proxy-protocol'].evidence,
      /the TLS handshake is cut and plain http gets a bare 400 .*sends a PROXY header the backend does not expect; where TLS ends on the instance it arrives before the TLS ClientHello/,
    )
    assert.match(
      run.checks['proxy-protocol'].fix ?? '',
      /^Change the backend: the instance's nginx must read PROXY v2 on both ports.*; or stop sending it: ebws local down .* && ebws local up --mode websocket .*--lb network/,
    )
    assert.match(run.checks.redirect.fix ?? '', /^Fix the Proxy Protocol mismatch first/)
  })

  it('NLB whose instance port 80 claims https (no X-Forwarded-Proto from an NLB): no redirect; the fix redirects by port', async (t) => {
    const stack = await upLb(t, {
      loadBalancer: 'network',
      edit: (c) =>
        replaced(
          c,
          /(frontend instance1_80\n(?: {4}.*\n)*? {4}http-request set-header X-Forwarded-Proto )http/,
          '$1https',
        ),
    })
    const run = await local(stack)
    expectStatuses(run, {redirect: 'fail', tls: 'pass', 'socketio-websocket': 'pass', 'proxy-protocol': 'pass'})
    assert.match(run.checks.redirect.evidence, /answered 404 .*: no redirect to https/)
    assert.match(
      run.checks.redirect.fix ?? '',
      /^An NLB passes TCP and adds no X-Forwarded-Proto: redirect by port on the instance, everything arriving on port 80 answers 301 to https:\/\/localhost/,
    )
  })

  it('NLB with two instances: polling sessions split ("Session ID unknown"); no cookie stickiness, so WebSocket-only', async (t) => {
    const stack = await upLb(t, {loadBalancer: 'network', instances: 2})
    const run = await local(stack, '--sessions', '4')
    expectStatuses(run, {stickiness: 'fail', 'socketio-websocket': 'pass', redirect: 'pass'})
    assert.match(run.checks.stickiness.evidence, /polling sessions got 400 "Session ID unknown"/)
    assert.match(
      run.checks.stickiness.fix ?? '',
      /^An NLB has no cookie stickiness: let clients use WebSocket only, io\(\{transports: \['websocket'\]\}\).*source-IP stickiness/,
    )
  })
})
