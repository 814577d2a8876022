import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {io, type Socket} from 'socket.io-client'

// @ts-expect-error: the sample app is plain JavaScript without type declarations.
import {createApp} from '../../sample-app/app.js'
// @ts-expect-error: idem.
import {drain, loadClusterConfig, pinStreamStart, READ_BLOCK_MS} from '../../sample-app/cluster.js'
import {pingRedis} from '../../src/local/redis.ts'
import {freeBlocks} from './helpers.ts'

// The sample app's cluster behaviour in-process, with a real redis-server: Redis unreachable at start, the health
// states, and the drain's bound.

const quiet = {info: () => {}, warn: () => {}}
const config = {
  port: 0,
  host: '127.0.0.1',
  allowedHosts: ['localhost'],
  httpsPort: 443,
  healthCheckPath: '/healthz',
  hsts: {maxAge: 0, includeSubDomains: false, preload: false},
  proxyProtocol: false,
}
type App = {
  server: import('node:http').Server
  io: unknown
  cluster: {close: () => Promise<void>}
  status: {draining: boolean}
}

async function listen(clusterEnv: Record<string, string>): Promise<App & {port: number}> {
  const app = createApp(config, {log: quiet, clusterConfig: loadClusterConfig(clusterEnv)}) as App
  await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r))
  return {...app, port: (app.server.address() as AddressInfo).port}
}

const health = (port: number) =>
  new Promise<{code: number; body: {status: string; instance: string; redis: {redis: string}}}>((resolve, reject) => {
    request({host: '127.0.0.1', port, path: '/healthz', agent: false}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({code: res.statusCode ?? 0, body: JSON.parse(body)}))
    })
      .on('error', reject)
      .end()
  })

const client = (port: number, reconnection = false) =>
  new Promise<Socket>((resolve, reject) => {
    const s = io(`http://127.0.0.1:${port}`, {transports: ['websocket'], reconnection, forceNew: true})
    s.once('connect', () => resolve(s))
    s.once('connect_error', reject)
  })

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('sample app with REDIS_URL, Redis not there at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebws-sample-redis-'))
  const cleanup: Array<() => unknown> = []
  after(async () => {
    for (const c of cleanup.reverse()) await c()
    rmSync(dir, {recursive: true, force: true})
  })

  it('serves its own clients, reports degraded (200), and connects once redis-server starts', async () => {
    const [redisPort] = (await freeBlocks([1])) as [number]
    const app = await listen({REDIS_URL: `redis://127.0.0.1:${redisPort}`, INSTANCE_ID: 'solo'})
    const h = await health(app.port)
    assert.equal(h.code, 200)
    assert.equal(h.body.status, 'degraded')
    assert.equal(h.body.instance, 'solo')
    const s = await client(app.port)
    cleanup.push(() => s.close())
    const got: string[] = []
    s.on('chat', (m: {text: string}) => got.push(m.text))
    assert.deepEqual(await s.timeout(3000).emitWithAck('chat', 'no redis yet'), {ok: true, scope: 'local'})
    await until('local delivery', async () => got.includes('no redis yet'))

    const redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      {stdio: 'ignore'},
    )
    cleanup.push(() => new Promise((r) => (redis.exitCode !== null ? r(null) : (redis.once('exit', r), redis.kill()))))
    // Runs before the line above (cleanup goes in reverse): drain() closes Socket.io (and so the adapter's stream
    // readers and subscriber, which need Redis there to close), the Redis client and the server.
    cleanup.push(async () => {
      await drain({
        server: app.server,
        io: app.io,
        cluster: app.cluster,
        status: app.status,
        timeoutMs: 2000,
        log: quiet,
      })
      // The stream reader quits after its current XREAD (at most READ_BLOCK_MS), and needs Redis to answer it.
      await new Promise((r) => setTimeout(r, READ_BLOCK_MS + 300))
    })
    await until('redis-server', () => pingRedis(redisPort))
    await until('health ok', async () => (await health(app.port)).body.status === 'ok')
    assert.deepEqual(await s.timeout(3000).emitWithAck('chat', 'with redis'), {ok: true, scope: 'cluster'})
    await until('delivery through the stream', async () => got.includes('with redis'))
  })
})

describe('sample app drain (no Redis)', () => {
  it('closes every socket (clients see "transport close" and would reconnect), refuses new connections, ends within the bound', async () => {
    const app = await listen({})
    const sockets = await Promise.all([client(app.port), client(app.port)])
    const reasons = sockets.map((s) => new Promise<string>((r) => s.once('disconnect', r)))
    // An idle keep-alive HTTP connection does not hold the drain up past its bound.
    const {Agent} = await import('node:http')
    const agent = new Agent({keepAlive: true})
    await new Promise<void>((r) =>
      request(
        {host: '127.0.0.1', port: app.port, path: '/whoami', agent, headers: {'x-forwarded-proto': 'https'}},
        (res) => res.resume().on('end', () => r()),
      ).end(),
    )
    const started = Date.now()
    const outcome = await drain({
      server: app.server,
      io: app.io,
      cluster: app.cluster,
      status: app.status,
      timeoutMs: 2000,
      log: quiet,
    })
    assert.ok(Date.now() - started < 2500, 'within the bound')
    assert.ok(outcome === 'closed' || outcome === 'timeout')
    assert.equal(app.status.draining, true)
    assert.deepEqual(await Promise.all(reasons), ['transport close', 'transport close'])
    await assert.rejects(client(app.port), 'no new connections')
    for (const s of sockets) s.close()
    agent.destroy()
  })
})

describe('sample app Node flags', () => {
  it('`npm start` (what Beanstalk runs) and `ebws local up` start it with the same flags: the young generation cap', async () => {
    const {readFileSync} = await import('node:fs')
    const {SAMPLE_APP_DIR, SAMPLE_APP_NODE_FLAGS} = await import('../../src/local/run.ts')
    const pkg = JSON.parse(readFileSync(join(SAMPLE_APP_DIR, 'package.json'), 'utf8')) as {scripts: {start: string}}
    assert.equal(pkg.scripts.start, `node ${SAMPLE_APP_NODE_FLAGS.join(' ')} server.js`)
    assert.ok(SAMPLE_APP_NODE_FLAGS.some((f) => f.startsWith('--max-semi-space-size=')))
  })
})

describe("the Redis Streams adapter's reader, between two reads that timed out", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebws-sample-stream-'))
  const cleanup: Array<() => unknown> = []
  after(async () => {
    for (const c of cleanup.reverse()) await c()
    rmSync(dir, {recursive: true, force: true})
  })

  it('gets an entry added between them (XREAD `$` pinned to the stream end at the first read); plain `$` misses it', async () => {
    const {createClient} = await import('redis')
    const [port] = (await freeBlocks([1])) as [number]
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
      stdio: 'ignore',
    })
    cleanup.push(() => new Promise((r) => (redis.exitCode !== null ? r(null) : (redis.once('exit', r), redis.kill()))))
    await until('redis-server', () => pingRedis(port))
    const writer = createClient({url: `redis://127.0.0.1:${port}`})
    await writer.connect()
    const reader = pinStreamStart(writer.duplicate())
    const plain = writer.duplicate()
    await Promise.all([reader.connect(), plain.connect()])
    cleanup.push(() => Promise.all([writer, reader, plain].map((c) => c.close())))
    await writer.xAdd('socket.io', '*', {before: 'start'})
    const read = (client: typeof writer) => client.xRead([{key: 'socket.io', id: '$'}], {BLOCK: 100, COUNT: 10})
    // The adapter's loop: a read that times out, then (the entry lands in between) the same read again.
    assert.equal(await read(reader), null)
    assert.equal(await read(plain), null)
    await writer.xAdd('socket.io', '*', {n: '1'})
    const got = (await read(reader)) as Array<{messages: Array<{message: Record<string, string>}>}> | null
    assert.deepEqual(
      got?.[0]?.messages.map((m) => ({...m.message})),
      [{n: '1'}],
      'the entry added between the reads, and not the one from before the first',
    )
    assert.equal(await read(plain), null, 'without the pin, `$` skips it')
  })
})
