/**
 * The sample app believes only what the load balancer sets, end to end through real HAProxy (standing in for the
 * CLB or an NLB) and the shipped nginx: forged X-Forwarded-For / X-Forwarded-Proto, PROXY v2 from HAProxy's
 * send-proxy-v2, a malformed PROXY source address at nginx, slow headers and the connection cap.
 */
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Agent as HttpsAgent} from 'node:https'
import {connect, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {io} from 'socket.io-client'

import type {LayoutMode} from '../../src/listeners/modes.ts'
import {buildLocalNginx, nginxArgs} from '../../src/local/nginx.ts'
import {localDown, localUp} from '../../src/local/run.ts'
import {appAndNginxPorts, freePorts, get, isPortClash} from './helpers.ts'

const ROOT = join(import.meta.dirname, '..', '..')
// The client end binds to 127.0.0.2: HAProxy and nginx connect from 127.0.0.1, so 127.0.0.2 can only be reported if
// the address really travelled; 6.6.6.6 is what a client forges.
const CLIENT = '127.0.0.2'
const FORGED = '6.6.6.6'

type Who = {protocol: string; clientAddress: string}

/** A child process that printed `marker` on stdout (or stderr); stopped by `stop`. */
async function startProcess(
  command: string,
  args: string[],
  marker: RegExp | undefined,
  waitPort: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{child: ChildProcess; stop: () => Promise<void>; output: () => string}> {
  const child = spawn(command, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${output}`)
    if ((!marker || marker.test(output)) && (await accepts(waitPort))) break
    if (Date.now() > deadline) throw new Error(`${command} did not start: ${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  return {child, stop, output: () => output}
}
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}

/** The sample app as Beanstalk runs it (`node server.js`), with the environment properties given. */
const startSampleApp = (port: number, env: NodeJS.ProcessEnv) =>
  startProcess(process.execPath, [join(ROOT, 'sample-app', 'server.js')], /listening on/, port, {
    PORT: String(port),
    HOST: '127.0.0.1',
    ALLOWED_HOSTS: 'localhost,127.0.0.1',
    ...env,
  })

interface Stack {
  https: number
  http: number
  nginx: number
  down: () => Promise<void>
}

/** `ebws local up` in front of a sample app we start ourselves (so it gets EBWS_LB_LAYOUT). */
async function stack(mode: LayoutMode, nginx: boolean, appEnv: NodeJS.ProcessEnv): Promise<Stack> {
  // The Proxy Protocol nginx also listens on nginx-port + 1 (its health-check port): appAndNginxPorts checks both.
  // Ports found free can still be taken before they are bound (test files run concurrently): then new ports.
  for (let attempt = 1; ; attempt++) {
    const [https, http] = (await freePorts(2)) as [number, number]
    const [appPort, nginxPort] = (await appAndNginxPorts(1)) as [number, number]
    const started = await startStack({mode, nginx, appEnv, https, http, appPort, nginxPort}).catch((err: unknown) => {
      if (attempt >= 5 || !isPortClash(err)) throw err
      return undefined
    })
    if (started) return started
  }
}

async function startStack(o: {
  mode: LayoutMode
  nginx: boolean
  appEnv: NodeJS.ProcessEnv
  https: number
  http: number
  appPort: number
  nginxPort: number
}): Promise<Stack> {
  const {mode, nginx, appEnv, https, http, appPort, nginxPort} = o
  const app = await startSampleApp(appPort, {HTTPS_PORT: String(https), ...appEnv})
  const stateDir = mkdtempSync(join(tmpdir(), `ebws-e2e-trust-${mode}-`))
  try {
    await localUp({
      mode,
      httpsPort: https,
      httpPort: http,
      app: 'external',
      appPort,
      nginx,
      nginxPort,
      idleTimeoutSeconds: 60,
      allowedHosts: ['localhost', '127.0.0.1'],
      stateDir,
    })
  } catch (err) {
    await app.stop()
    rmSync(stateDir, {recursive: true, force: true})
    throw err
  }
  return {
    https,
    http,
    nginx: nginxPort,
    down: async () => {
      await localDown(stateDir)
      await app.stop()
      rmSync(stateDir, {recursive: true, force: true})
    },
  }
}

const whoami = async (url: string, headers: Record<string, string> = {}) => {
  const res = await get(url, {client: CLIENT, headers})
  assert.equal(res.status, 200, `${url}: ${res.status} ${res.body}`)
  return withoutInstance(JSON.parse(res.body))
}

/** The sample app names the instance that answered (scale-out); trust is about the other fields. */
function withoutInstance(body: Who & {instance?: unknown}): Who {
  const {instance, ...who} = body
  assert.equal(typeof instance, 'string')
  return who
}

/** Socket.io over wss with forged headers on the upgrade request; answers the app's `whoami` event. */
async function socketWhoami(port: number, headers: Record<string, string>): Promise<Who & {transport: string}> {
  const agent = new HttpsAgent({rejectUnauthorized: false, localAddress: CLIENT})
  const socket = io(`https://localhost:${port}`, {
    transports: ['websocket'],
    reconnection: false,
    timeout: 5000,
    agent: agent as never,
    rejectUnauthorized: false,
    extraHeaders: {origin: `https://localhost:${port}`, ...headers},
  })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
    return (await socket.timeout(5000).emitWithAck('whoami')) as Who & {transport: string}
  } finally {
    socket.close()
    agent.destroy()
  }
}

for (const nginx of [false, true]) {
  describe(`websocket layout (SSL -> TCP + HTTP -> HTTP)${nginx ? ' with the shipped nginx' : ''}, app default layout`, () => {
    let s: Stack
    before(async () => {
      s = await stack('websocket', nginx, {})
    })
    after(async () => {
      await s?.down()
    })
    it('a client-sent X-Forwarded-For is not the client address (HTTP request and Socket.io over wss)', async () => {
      const who = await whoami(`https://localhost:${s.https}/whoami`, {'x-forwarded-for': FORGED})
      assert.equal(who.clientAddress, '127.0.0.1')
      const sock = await socketWhoami(s.https, {'x-forwarded-for': `${FORGED}, 198.51.100.1`})
      assert.equal(sock.transport, 'websocket')
      assert.equal(sock.clientAddress, '127.0.0.1')
    })
    it('X-Forwarded-Proto: the right-most value decides; empty or unknown is plain HTTP; absent is the SSL listener', async () => {
      assert.equal(
        (await get(`https://localhost:${s.https}/`, {headers: {'x-forwarded-proto': 'http, https'}})).status,
        200,
      )
      // nginx sends no header for an empty value, so behind it '' arrives as no header at all (the SSL listener).
      for (const value of [...(nginx ? [] : ['']), 'banana', 'https, http']) {
        const res = await get(`https://localhost:${s.https}/x?y=1`, {headers: {'x-forwarded-proto': value}})
        assert.equal(res.status, 301, JSON.stringify(value))
        assert.equal(res.headers.location, `https://localhost:${s.https}/x?y=1`)
      }
      assert.equal((await get(`https://localhost:${s.https}/`)).status, 200)
    })
    it('over the HTTP listener a forged "https" is overwritten by the load balancer: redirected', async () => {
      const res = await get(`http://localhost:${s.http}/x`, {headers: {'x-forwarded-proto': 'https'}})
      assert.equal(res.status, 301)
    })
  })

  describe(`http layout (HTTPS -> HTTP + HTTP -> HTTP)${nginx ? ' with the shipped nginx' : ''}, EBWS_LB_LAYOUT=http`, () => {
    let s: Stack
    before(async () => {
      s = await stack('http', nginx, {EBWS_LB_LAYOUT: 'http'})
    })
    after(async () => {
      await s?.down()
    })
    it('the entry the load balancer appended (right-most) is the client, never the forged left-most one', async () => {
      assert.equal((await whoami(`https://localhost:${s.https}/whoami`)).clientAddress, CLIENT)
      assert.equal(
        (await whoami(`https://localhost:${s.https}/whoami`, {'x-forwarded-for': FORGED})).clientAddress,
        CLIENT,
      )
      assert.equal(
        (await whoami(`https://localhost:${s.https}/whoami`, {'x-forwarded-for': `${FORGED}, 10.9.9.9`})).clientAddress,
        CLIENT,
      )
    })
    it('https served, http redirected, whatever X-Forwarded-Proto the client sends', async () => {
      assert.equal((await get(`https://localhost:${s.https}/`, {headers: {'x-forwarded-proto': 'http'}})).status, 200)
      assert.equal((await get(`http://localhost:${s.http}/`, {headers: {'x-forwarded-proto': 'https'}})).status, 301)
    })
  })
}

describe('proxy layout (Proxy Protocol v1) with the shipped nginx, EBWS_LB_LAYOUT=proxy', () => {
  let s: Stack
  before(async () => {
    s = await stack('proxy', true, {EBWS_LB_LAYOUT: 'proxy'})
  })
  after(async () => {
    await s?.down()
  })
  /** Writes raw bytes straight to nginx's Proxy Protocol port, as the load balancer would; resolves at close. */
  const raw = (payload: string) =>
    new Promise<string>((resolve, reject) => {
      const c = connect(s.nginx, '127.0.0.1', () => c.write(payload))
      let data = ''
      c.on('data', (d) => (data += d))
      c.on('close', () => resolve(data))
      c.on('error', reject)
    })
  const REQUEST = 'GET /whoami HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n'
  it('client address from the PROXY line, forged X-Forwarded-For dropped', async () => {
    assert.equal(
      (await whoami(`https://localhost:${s.https}/whoami`, {'x-forwarded-for': FORGED})).clientAddress,
      CLIENT,
    )
    const reply = await raw(`PROXY TCP4 198.51.100.7 10.0.0.1 4000 443\r\n${REQUEST}`)
    assert.match(reply, /^HTTP\/1.1 200/)
    assert.deepEqual(withoutInstance(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))), {
      protocol: 'https',
      clientAddress: '198.51.100.7',
      host: 'localhost',
    })
  })
  it('a PROXY source that is not an address (999.1.1.1, abc.def) is closed by nginx without a response', async () => {
    for (const source of ['999.1.1.1', 'abc.def', '1.2.3.04']) {
      assert.equal(await raw(`PROXY TCP4 ${source} 10.0.0.1 4000 443\r\n${REQUEST}`), '', source)
    }
  })
})

describe('Proxy Protocol v2 from HAProxy send-proxy-v2 (an NLB target group with proxy_protocol_v2.enabled)', () => {
  let haproxy: Awaited<ReturnType<typeof startProcess>> | undefined
  let app: Awaited<ReturnType<typeof startSampleApp>> | undefined
  let nginx: Awaited<ReturnType<typeof startProcess>> | undefined
  let appBehindNginx: Awaited<ReturnType<typeof startSampleApp>> | undefined
  let dir = ''
  let ports: number[] = []
  before(async () => {
    // tls443/tcp80 -> the app reading PROXY itself; via443 -> nginx (proxy-protocol variant) -> a second app.
    // nginx also listens on nginxPort + 1 (health check): appAndNginxPorts checks that one is free too.
    const [appPort, nginxPort] = (await appAndNginxPorts(1)) as [number, number]
    const [tls443, tcp80, via443, app2Port] = (await freePorts(4)) as [number, number, number, number]
    ports = [tls443, tcp80, via443, appPort, nginxPort, app2Port]
    dir = mkdtempSync(join(tmpdir(), 'ebws-e2e-ppv2-'))
    app = await startSampleApp(appPort, {PROXY_PROTOCOL: '1', EBWS_LB_LAYOUT: 'nlb', HTTPS_PORT: String(tls443)})
    appBehindNginx = await startSampleApp(app2Port, {EBWS_LB_LAYOUT: 'proxy', HTTPS_PORT: String(via443)})
    buildLocalNginx({
      variant: 'proxy-protocol',
      prefix: join(dir, 'nginx'),
      listenPort: nginxPort,
      appPort: app2Port,
      healthPort: nginxPort + 1,
    })
    nginx = await startProcess('nginx', nginxArgs(join(dir, 'nginx'), ['-g', 'daemon off;']), undefined, nginxPort)
    // The NLB writes the listener port as the destination (set-dst-port stands in for it); crc32c and unique-id add TLVs.
    const frontend = (name: string, port: number, dstPort: number, server: number) => [
      `frontend ${name}`,
      `    bind 127.0.0.1:${port}`,
      '    mode tcp',
      `    tcp-request connection set-dst-port int(${dstPort})`,
      '    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt',
      `    default_backend ${name}_b`,
      `backend ${name}_b`,
      '    mode tcp',
      `    server app 127.0.0.1:${server} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
    ]
    const cfg = join(dir, 'haproxy.cfg')
    writeFileSync(
      cfg,
      [
        'defaults',
        '    timeout connect 5s',
        '    timeout client 30s',
        '    timeout server 30s',
        ...frontend('tls443', tls443, 443, appPort),
        ...frontend('tcp80', tcp80, 80, appPort),
        ...frontend('via443', via443, 443, nginxPort),
        '',
      ].join('\n'),
    )
    haproxy = await startProcess('haproxy', ['-db', '-f', cfg], undefined, via443)
  })
  after(async () => {
    await haproxy?.stop()
    await nginx?.stop()
    await app?.stop()
    await appBehindNginx?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })
  it("the app's own reader: client address and protocol from the v2 block (443 https, 80 redirected)", async () => {
    const [tls443, tcp80] = ports as [number, number]
    assert.deepEqual(
      await whoami(`http://localhost:${tls443}/whoami`, {'x-forwarded-for': FORGED, 'x-forwarded-proto': 'http'}),
      {protocol: 'https', clientAddress: CLIENT, host: `localhost:${tls443}`},
    )
    const res = await get(`http://localhost:${tcp80}/x?y=1`, {client: CLIENT, headers: {'x-forwarded-proto': 'https'}})
    assert.equal(res.status, 301)
    assert.equal(res.headers.location, `https://localhost:${tls443}/x?y=1`)
    // (The readiness probe's empty connection is the only one the reader closed.)
    assert.doesNotMatch(app!.output(), /v2|signature|did not start/)
  })
  it('the shipped nginx reads v2 too and passes the client address and protocol on', async () => {
    const via443 = ports[2]!
    assert.deepEqual(await whoami(`http://localhost:${via443}/whoami`, {'x-forwarded-for': FORGED}), {
      protocol: 'https',
      clientAddress: CLIENT,
      host: 'localhost',
    })
  })
})

describe('slow headers and the connection cap (sample app, IDLE_TIMEOUT=1, MAX_CONNECTIONS=20)', () => {
  let app: Awaited<ReturnType<typeof startSampleApp>> | undefined
  let port = 0
  const sockets: Socket[] = []
  before(async () => {
    ;[port] = (await freePorts(1)) as [number]
    app = await startSampleApp(port, {IDLE_TIMEOUT: '1', MAX_CONNECTIONS: '20'})
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await app?.stop()
  })
  it('beyond the cap new connections are closed at once; slow-header ones go after idle timeout + 6 s; silent ones outlive the idle timeout', async () => {
    const t0 = Date.now()
    const closedAt: number[] = []
    const open = (trickle: boolean) => {
      const s = connect(port, '127.0.0.1', () => {
        if (!trickle) return
        s.write('GET / HTTP/1.1\r\nHost: localhost\r\n')
        const timer = setInterval(() => s.writable && s.write('X-Slow: a\r\n'), 400)
        s.on('close', () => clearInterval(timer))
      })
      s.on('error', () => {})
      s.resume() // read the 408 and the FIN, so a silent socket sees its close too
      s.on('close', () => closedAt.push(Date.now() - t0))
      sockets.push(s)
      return s
    }
    const silent = open(false)
    await new Promise((r) => setTimeout(r, 100))
    for (let i = 0; i < 39; i++) open(true)
    await new Promise((r) => setTimeout(r, 2500))
    // 20 held (the silent one included), 20 refused; the silent one is still open after 2.5 s > the 1 s idle timeout.
    assert.equal(closedAt.length, 20, `closed so far at ${closedAt.join(', ')} ms`)
    assert.ok(
      closedAt.every((t) => t < 1500),
      `refused ones closed at ${closedAt.join(', ')} ms`,
    )
    assert.equal(silent.destroyed, false)
    // Header timeout = keep-alive (idle + 5 s) + 1 s = 7 s, checked every second: all gone by ~8 s, not ~66-96 s.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (closedAt.length === 40) {
          clearInterval(timer)
          resolve()
        } else if (Date.now() - t0 > 10_000) {
          clearInterval(timer)
          reject(new Error(`after 10 s only ${closedAt.length}/40 connections were closed`))
        }
      }, 100)
    })
    assert.ok(Math.max(...closedAt) >= 6500, `held ones closed at ${closedAt.slice(20).join(', ')} ms (too early?)`)
    // And the app still serves.
    assert.equal((await get(`http://localhost:${port}/healthz`)).status, 200)
  })
})
