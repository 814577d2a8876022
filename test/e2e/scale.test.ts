import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {type Browser, chromium} from 'playwright-core'
import type {Socket} from 'socket.io-client'

import {type StartedProcess, startDetached, stopProcess, waitForPort} from '../../src/local/processes.ts'
import {connectClient, emit, get, type Stack, up} from './helpers.ts'

// Three instances behind the emulated load balancer (issue 15): broadcasts with and without the Redis adapter,
// stickiness and long-polling, drain with connection state recovery, Redis going away and coming back.

type Who = {instance: string; transport: string; recovered: boolean}
type Chat = {text: string; instance: string}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Connects until there are `perInstance` websocket clients on each of the 3 instances (round robin spreads them). */
async function clientsOnEveryInstance(
  stack: Stack,
  perInstance = 1,
  reconnection = false,
): Promise<Map<string, Socket[]>> {
  const byInstance = new Map<string, Socket[]>()
  for (let i = 0; i < 3 * perInstance; i++) {
    const socket = await connectClient(stack.https, ['websocket'], undefined, {reconnection})
    const who = await emit<Who>(socket, 'whoami')
    byInstance.set(who.instance, [...(byInstance.get(who.instance) ?? []), socket])
  }
  assert.deepEqual(
    [...byInstance.keys()].sort(),
    ['app-1', 'app-2', 'app-3'],
    'round robin puts a client on every instance',
  )
  for (const list of byInstance.values()) assert.equal(list.length, perInstance)
  return byInstance
}

function inbox(socket: Socket): string[] {
  const got: string[] = []
  socket.on('chat', (m: Chat) => got.push(m.text))
  return got
}

const closeAll = (m: Map<string, Socket[]>) => {
  for (const list of m.values()) for (const s of list) s.close()
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(100)
  }
  assert.fail(`timed out waiting for ${what}`)
}

const health = async (port: number) =>
  JSON.parse((await get(`http://127.0.0.1:${port}/healthz`)).body) as {status: string; redis: {redis: string}}

describe('3 instances, no Redis: a broadcast reaches only the clients of the instance it was sent on', () => {
  let stack: Stack
  before(async () => {
    stack = await up('websocket', false, {instances: 3})
  })
  after(async () => stack?.down())

  it('chat from app-1 reaches both app-1 clients and no client of app-2 or app-3', async () => {
    const clients = await clientsOnEveryInstance(stack, 2)
    try {
      const boxes = new Map([...clients].map(([id, list]) => [id, list.map(inbox)]))
      const [sender] = clients.get('app-1')!
      assert.deepEqual(await emit(sender!, 'chat', 'local only'), {ok: true, scope: 'local'})
      await until('app-1 clients', () => boxes.get('app-1')!.every((b) => b.includes('local only')))
      await sleep(500)
      for (const id of ['app-2', 'app-3'])
        for (const box of boxes.get(id)!) assert.deepEqual(box, [], `${id} got nothing`)
      assert.match(stack.state.notes.join('\n'), /broadcasts reach only clients on the same instance/)
    } finally {
      closeAll(clients)
    }
  })
})

describe('3 instances with --redis (Redis Streams adapter)', () => {
  let stack: Stack
  let browser: Browser | undefined
  const restarted: StartedProcess[] = []
  before(async () => {
    stack = await up('websocket', false, {instances: 3, redis: true})
  })
  after(async () => {
    await browser?.close()
    for (const p of restarted) await stopProcess(p)
    await stack?.down()
  })

  it('local status lists every instance and Redis', async () => {
    const {localStatus} = await import('../../src/local/run.ts')
    const status = await localStatus(stack.stateDir)
    assert.deepEqual(
      status.instances.map((i) => [i.id, i.running, i.accepting]),
      [
        ['app-1', true, true],
        ['app-2', true, true],
        ['app-3', true, true],
      ],
    )
    assert.equal(status.redis?.answering, true)
    // Every recorded pid is recognised as ours (redis-server rewrites its title: the config path must survive).
    assert.deepEqual(
      status.processes.filter((p) => !p.running).map((p) => p.name),
      [],
    )
    for (const inst of stack.state.instances!)
      await until(`${inst.id} ready`, async () => (await health(inst.port)).status === 'ok')
  })

  it("every instance runs with the sample app's Node flags (the young generation cap, as `npm start`)", async () => {
    const {readFileSync} = await import('node:fs')
    const {SAMPLE_APP_NODE_FLAGS} = await import('../../src/local/run.ts')
    const apps = stack.state.processes.filter((p) => p.name.startsWith('app-'))
    assert.equal(apps.length, 3)
    for (const app of apps) {
      const argv = readFileSync(`/proc/${app.pid}/cmdline`, 'utf8').split('\0')
      for (const flag of SAMPLE_APP_NODE_FLAGS) assert.ok(argv.includes(flag), `${app.name}: ${argv.join(' ')}`)
    }
  })

  it('a message emitted on one instance reaches the clients of all three', async () => {
    const clients = await clientsOnEveryInstance(stack)
    try {
      const boxes = [...clients.values()].map(([s]) => inbox(s!))
      const [sender] = clients.get('app-2')!
      assert.deepEqual(await emit(sender!, 'chat', 'to everyone'), {ok: true, scope: 'cluster'})
      await until('every instance', () => boxes.every((b) => b.includes('to everyone')))
    } finally {
      closeAll(clients)
    }
  })

  it('headless Chromium on one instance receives a broadcast sent from another', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    const context = await browser.newContext({ignoreHTTPSErrors: true})
    const page = await context.newPage()
    await page.goto(`https://localhost:${stack.https}/`)
    await page.locator('#state').filter({hasText: 'connected via websocket'}).waitFor({timeout: 10_000})
    await page
      .locator('#instance')
      .filter({hasText: /^app-\d/})
      .waitFor({timeout: 10_000})
    const pageInstance = (await page.locator('#instance').textContent())!.split(' ')[0]
    // A Node client on another instance sends.
    let sender: Socket | undefined
    const strays: Socket[] = []
    while (!sender) {
      const s = await connectClient(stack.https, ['websocket'])
      if ((await emit<Who>(s, 'whoami')).instance !== pageInstance) sender = s
      else strays.push(s)
    }
    try {
      assert.equal((await emit<{scope: string}>(sender, 'chat', 'hello, browser')).scope, 'cluster')
      await page.locator('#messages li').filter({hasText: 'hello, browser'}).waitFor({timeout: 10_000})
    } finally {
      for (const s of [sender, ...strays]) s.close()
      await context.close()
    }
  })

  it('1,000 websocket clients across the 3 instances: every broadcast reaches every client (the CI size of bench/socketio.ts --cluster)', async () => {
    const agentClients: Socket[] = []
    try {
      // Round robin hands *consecutive* connections to the servers in turn, so 30 consecutive ones get exactly 10
      // each. They are opened one after another, so their order here is their arrival order at HAProxy: of 100
      // opened at once, the first 30 created are not 30 consecutive arrivals (that gave [10, 11, 9] under load).
      for (let i = 0; i < 30; i++) agentClients.push(await connectClient(stack.https, ['websocket']))
      const counts = new Map<string, number>()
      for (const s of agentClients) {
        const who = await emit<Who>(s, 'whoami')
        counts.set(who.instance, (counts.get(who.instance) ?? 0) + 1)
      }
      assert.deepEqual([...counts.values()], [10, 10, 10], 'round robin: an even spread')
      while (agentClients.length < 1000) {
        const batch = Math.min(100, 1000 - agentClients.length)
        agentClients.push(
          ...(await Promise.all(Array.from({length: batch}, () => connectClient(stack.https, ['websocket'])))),
        )
      }
      let received = 0
      for (const s of agentClients) s.on('chat', (m: Chat) => m.text.startsWith('fan-out') && received++)
      for (let b = 0; b < 5; b++)
        assert.equal((await emit<{scope: string}>(agentClients[b * 7]!, 'chat', `fan-out ${b}`)).scope, 'cluster')
      await until('5 broadcasts x 1,000 clients', () => received === 5000, 30_000)
      await sleep(200)
      assert.equal(received, 5000, 'none lost, none doubled')
    } finally {
      for (const s of agentClients) s.close()
    }
  })

  it('Redis stopped mid-run: each instance serves its own clients (health degraded); all recover when it returns', async () => {
    const clients = await clientsOnEveryInstance(stack, 2)
    try {
      const boxes = new Map([...clients].map(([id, list]) => [id, list.map(inbox)]))
      const redis = stack.state.processes.find((p) => p.name === 'redis')!
      assert.equal(await stopProcess(redis), 'stopped')
      const [a1] = stack.state.instances!
      await until('degraded health', async () => (await health(a1!.port)).status === 'degraded')
      const [sender] = clients.get('app-1')!
      assert.deepEqual(await emit(sender!, 'chat', 'while redis is down'), {ok: true, scope: 'local'})
      await until('app-1 clients', () => boxes.get('app-1')!.every((b) => b.includes('while redis is down')))
      assert.deepEqual(boxes.get('app-2')!.flat(), [])
      // Every instance still answers its own clients.
      for (const list of clients.values()) assert.deepEqual(await emit(list[0]!, 'echo', 'still here'), 'still here')

      // Redis comes back (same config, same port): the instances reconnect with backoff.
      const again = startDetached('redis', redis.command, {log: redis.log, marker: redis.marker})
      restarted.push(again)
      await waitForPort(stack.state.ports.redis!, again, 10_000)
      for (const inst of stack.state.instances!)
        await until(`${inst.id} reconnected`, async () => (await health(inst.port)).status === 'ok', 20_000)
      // The stream readers resume too: a broadcast from app-3 reaches every client.
      await until('cluster broadcast after recovery', async () => {
        const text = `after ${Date.now()}`
        await emit(clients.get('app-3')![0]!, 'chat', text)
        await sleep(300)
        return [...boxes.values()].flat().every((b) => b.includes(text))
      })
    } finally {
      closeAll(clients)
    }
  })

  it('SIGTERM on one instance: its clients reconnect to the others, recover their session and miss no acknowledged message', async () => {
    const clients = await clientsOnEveryInstance(stack, 2, true)
    try {
      const everyone = [...clients.values()].flat()
      const boxes = everyone.map(inbox)
      const [sender] = clients.get('app-1')!
      // One message first: it gives every client an offset to recover from.
      await emit(sender!, 'chat', 'm0')
      await until('m0 everywhere', () => boxes.every((b) => b.includes('m0')))
      const moved = clients.get('app-2')!
      const draining = stack.state.processes.find((p) => p.name === 'app-2')!
      const stopped = stopProcess(draining)
      const acked: string[] = []
      // Messages keep coming while app-2 drains and its clients are reconnecting elsewhere.
      for (let i = 1; i <= 10; i++) {
        const text = `m${i}`
        const reply = await emit<{ok: boolean; scope: string}>(sender!, 'chat', text)
        if (reply.ok) acked.push(text)
        await sleep(100)
      }
      assert.equal(await stopped, 'stopped')
      await until('app-2 clients reconnected', () => moved.every((s) => s.connected))
      for (const s of moved) {
        assert.equal(s.recovered, true, 'connection state recovered on another instance')
        const who = await emit<Who>(s, 'whoami')
        assert.notEqual(who.instance, 'app-2')
        assert.equal(who.recovered, true)
      }
      assert.equal(acked.length, 10)
      await until('every acknowledged message everywhere', () => boxes.every((b) => acked.every((t) => b.includes(t))))
      for (const b of boxes) assert.equal(new Set(b).size, b.length, 'no duplicates')
    } finally {
      closeAll(clients)
    }
  })
})

/** One Engine.IO long-polling session by hand: handshake, then a second request with the sid (and the cookie). */
async function pollingSession(
  stack: Stack,
  cookieName?: string,
): Promise<{second: {status: number; body: string}; cookie?: string}> {
  const origin = {origin: `https://localhost:${stack.https}`}
  const handshake = await get(`https://localhost:${stack.https}/socket.io/?EIO=4&transport=polling`, {headers: origin})
  assert.equal(handshake.status, 200, handshake.body)
  const sid = (JSON.parse(handshake.body.slice(1)) as {sid: string}).sid
  const setCookie = ([] as string[]).concat(handshake.headers['set-cookie'] ?? [])
  const cookie = cookieName ? setCookie.find((c) => c.startsWith(`${cookieName}=`))?.split(';')[0] : undefined
  const headers = {...origin, ...(cookie ? {cookie} : {})}
  // Three instances round robin: the next request goes to another instance unless sticky. A POST (a pong packet,
  // "3") is answered at once; a GET would wait for the next ping.
  let second = {status: 200, body: ''}
  for (let i = 0; i < 2 && second.status === 200; i++) {
    second = await get(`https://localhost:${stack.https}/socket.io/?EIO=4&transport=polling&sid=${sid}&t=${i}`, {
      headers: {...headers, 'content-type': 'text/plain;charset=UTF-8'},
      method: 'POST',
      body: '3',
    })
  }
  return {second, ...(cookie ? {cookie} : {})}
}

describe('3 instances behind the ALB without stickiness: long-polling breaks, WebSocket works', () => {
  let stack: Stack
  before(async () => {
    stack = await up('websocket', false, {loadBalancer: 'application', instances: 3})
  })
  after(async () => stack?.down())

  it('a polling session\'s next request lands on another instance: 400 "Session ID unknown"', async () => {
    const {second} = await pollingSession(stack)
    assert.equal(second.status, 400)
    assert.match(second.body, /Session ID unknown/)
  })
  it('websocket-only clients work (one TCP connection, one instance)', async () => {
    const clients = await clientsOnEveryInstance(stack)
    try {
      for (const [s] of clients.values()) assert.equal(await emit(s!, 'echo', 'ok'), 'ok')
    } finally {
      closeAll(clients)
    }
  })
})

for (const {lb, mode, cookie} of [
  {lb: 'application', mode: 'websocket', cookie: 'AWSALB'},
  {lb: 'classic', mode: 'http', cookie: 'AWSELB'},
] as const) {
  describe(`3 instances behind the ${lb === 'classic' ? 'CLB (http layout)' : 'ALB'} with stickiness: long-polling works`, () => {
    let stack: Stack
    before(async () => {
      stack = await up(mode, false, {loadBalancer: lb, instances: 3, stickiness: true})
    })
    after(async () => stack?.down())

    it(`the ${cookie} cookie keeps a polling session on its instance`, async () => {
      const {second, cookie: sent} = await pollingSession(stack, cookie)
      assert.ok(sent, `the load balancer set ${cookie}`)
      assert.equal(second.status, 200, second.body)
    })
  })
}

describe('the CLI: ebws local up --instances 2 --redis, local status, local down', () => {
  it('starts 2 instances and redis-server, lists them, and stops exactly them', async (t) => {
    const {mkdtempSync, rmSync, existsSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {join} = await import('node:path')
    const {json, runCli} = await import('../helpers/cli.ts')
    const {freeBlocks, freePorts} = await import('./helpers.ts')
    const stateDir = mkdtempSync(join(tmpdir(), 'ebws-cli-scale-'))
    const env: Record<string, string> = {PATH: process.env.PATH ?? '/usr/bin:/bin'}
    t.after(async () => {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
      rmSync(stateDir, {recursive: true, force: true})
    })
    const [https, http, redis] = (await freePorts(3)) as [number, number, number]
    const [app] = (await freeBlocks([2])) as [number]
    const upped = await runCli(
      [
        'local',
        'up',
        '--instances',
        '2',
        '--redis',
        '--redis-port',
        String(redis),
        '--lb',
        'application',
        '--stickiness',
        '--state-dir',
        stateDir,
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
        '--app-port',
        String(app),
        '--json',
      ],
      {env},
    )
    assert.equal(upped.code, 0, upped.stdout + upped.stderr)
    const state = json<{
      instances: {id: string}[]
      redis: {url: string}
      stickiness: {cookie: string}
      loadBalancer: string
    }>(upped)
    assert.deepEqual(
      state.instances.map((i) => i.id),
      ['app-1', 'app-2'],
    )
    assert.equal(state.redis.url, `redis://127.0.0.1:${redis}`)
    assert.equal(state.stickiness.cookie, 'AWSALB')
    assert.equal(state.loadBalancer, 'application')
    assert.ok(existsSync(join(stateDir, 'redis')), 'redis data dir under the state dir')

    const status = await runCli(['local', 'status', '--state-dir', stateDir], {env})
    assert.equal(status.code, 0)
    assert.match(status.stdout, /instance app-1 +port \d+ running, accepting/)
    assert.match(status.stdout, /instance app-2 +port \d+ running, accepting/)
    assert.match(status.stdout, /redis redis:\/\/127\.0\.0\.1:\d+: answering/)

    const down = json<{stopped: {name: string}[]}>(
      await runCli(['local', 'down', '--state-dir', stateDir, '--json'], {env}),
    )
    assert.deepEqual(down.stopped.map((p) => p.name).sort(), ['app-1', 'app-2', 'haproxy', 'redis'])
  })
  it('bad combination: exit 2, nothing started', async () => {
    const {runCli} = await import('../helpers/cli.ts')
    const res = await runCli(
      ['local', 'up', '--lb', 'application', '--mode', 'proxy', '--state-dir', '/nonexistent/ebws'],
      {env: {}},
    )
    assert.equal(res.code, 2)
    assert.match(res.stderr, /Application Load Balancer has no Proxy Protocol/)
  })
})
