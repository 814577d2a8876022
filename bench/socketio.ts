/**
 * Socket.io throughput with and without the ebws guard (HTTPS redirect as an Engine.IO middleware + PROXY v1 reader),
 * same run, same client; then 2,000 concurrent WebSocket clients through HAProxy (`ebws local up`, websocket layout)
 * with every message acknowledged; then the cluster scenario: CLUSTER_CLIENTS (default 10,000) WebSocket clients
 * across 3 sample-app instances with the Redis adapter behind the emulated load balancer, broadcasts fanned out to
 * all, against one bare Socket.io server with the same client count (CLUSTER_RUNS=2: two runs, alternating which
 * goes first, and medians). Loopback only, bounded loops.
 * Memory per connection, RSS and V8 heap apart: --memory (one process each: bare Socket.io with Node's defaults and
 * with the sample app's flags, the sample app with and without Redis; 1,000 then 5,000 clients; MEMORY_ROUNDS=3).
 * Servers' memory is read by bench/socketio-probe.ts, loaded into them through NODE_OPTIONS.
 * Run: node bench/socketio.ts   (one scenario: node bench/socketio.ts --cluster | --memory)
 */
import {execFileSync, spawn} from 'node:child_process'
import {Agent, createServer} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {connect, type AddressInfo, type NetConnectOpts, type Socket as NetSocket} from 'node:net'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'

import {Server} from 'socket.io'
import {io, type Socket} from 'socket.io-client'

import {acceptProxyProtocol, httpsRedirect} from '../src/redirect/index.ts'
import {localDown, localUp, SAMPLE_APP_NODE_FLAGS} from '../src/local/run.ts'
import {freePorts} from '../test/e2e/helpers.ts'

/** An http.Agent whose connections start with a PROXY v1 line, as the CLB's would. */
class ProxyLineAgent extends Agent {
  proxyLine: string | undefined
  constructor(proxyLine?: string) {
    super({keepAlive: false})
    this.proxyLine = proxyLine
  }
  override createConnection(options: NetConnectOpts): NetSocket {
    const socket = connect({...options, noDelay: true})
    if (this.proxyLine) {
      // One segment with the request that follows, as a load balancer sends it.
      socket.cork()
      socket.write(this.proxyLine)
      process.nextTick(() => socket.uncork())
    }
    return socket
  }
}

async function startServer(guarded: boolean): Promise<number> {
  const server = createServer()
  const ioServer = new Server(server, {transports: ['websocket']})
  if (guarded) {
    ioServer.engine.use(httpsRedirect({allowedHosts: ['localhost']}))
    acceptProxyProtocol(server)
  }
  ioServer.on('connection', (s) => {
    s.on('echo', (payload: unknown, ack: (p: unknown) => void) => ack(payload))
    // The sample app's chat broadcast, without anything else: the peer of the cluster scenario.
    s.on('chat', (text: string, ack?: (r: unknown) => void) => {
      ioServer.emit('chat', {text, at: Date.now()})
      ack?.({ok: true})
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  // Runs in a child process until the bench kills it, so nothing closes it here.
  return (server.address() as AddressInfo).port
}

function client(port: number, agent: Agent): Promise<Socket> {
  const socket = io(`http://localhost:${port}`, {
    transports: ['websocket'],
    reconnection: false,
    agent: agent as never,
    forceNew: true,
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

const agentFor = (guarded: boolean) =>
  new ProxyLineAgent(guarded && !aa ? 'PROXY TCP4 198.51.100.22 10.0.0.7 35646 443\r\n' : undefined)

/**
 * The servers run in their own processes (one core each side on a small machine), started once. Each reports its
 * own user CPU time on request (IPC), so a run measures both what the client saw (operations per wall second) and
 * what the server's JavaScript spent per operation: its capacity, operations per user-CPU-second, is what the guard
 * can cost, and it is far less disturbed by the scheduler on a shared 2-core machine than wall throughput is.
 */
const servers: Record<
  'bare' | 'bare2' | 'guarded',
  {port: number; pid: number; cpuMicros: () => Promise<number>; kill: () => void}
> = {} as never
/** A/A mode: "guarded" runs go to a second bare server, to show the noise floor of this machine. */
let aa = false
async function spawnServer(kind: 'bare' | 'bare2' | 'guarded', nodeFlags: string[] = []) {
  // --expose-gc: each CPU reading starts after a full GC, so a run pays for its own garbage, not for a random share
  // of earlier runs'. Servers share one core (taskset, when there are 2+) and the client keeps the other.
  const args = [process.execPath, '--expose-gc', ...nodeFlags, import.meta.filename, '--server', kind]
  const pin = availableParallelism() >= 2 && existsSync('/usr/bin/taskset')
  const child = spawn(
    pin ? '/usr/bin/taskset' : args[0]!,
    pin ? ['-c', String(availableParallelism() - 1), ...args] : args.slice(1),
    {stdio: ['ignore', 'pipe', 'inherit', 'ipc']},
  )
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', () => reject(new Error(`${kind} server exited`)))
  })
  const cpuMicros = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve(m as number))
      child.send('cpu')
    })
  servers[kind] = {port, pid: child.pid!, cpuMicros, kill: () => child.kill()}
}
const serverFor = (guarded: boolean) => servers[guarded ? (aa ? 'bare2' : 'guarded') : 'bare']

interface Measured {
  /** Operations per wall-clock second, as the client saw them. */
  perSecond: number
  /** Operations per user-CPU-second of the server process. */
  perServerCpuSecond: number
}

async function measure(
  guarded: boolean,
  operations: number,
  work: (port: number) => Promise<number>,
): Promise<Measured> {
  const srv = serverFor(guarded)
  const cpu0 = await srv.cpuMicros()
  const seconds = await work(srv.port)
  const cpu = (await srv.cpuMicros()) - cpu0
  return {perSecond: operations / seconds, perServerCpuSecond: operations / (cpu / 1e6)}
}

function messagesPerSecond(guarded: boolean, clients = 20, perClient = 4_000, window = 50): Promise<Measured> {
  return measure(guarded, clients * perClient, async (port) => {
    const sockets = await Promise.all(Array.from({length: clients}, () => client(port, agentFor(guarded))))
    const started = performance.now()
    await Promise.all(
      sockets.map(async (s) => {
        for (let sent = 0; sent < perClient; sent += window) {
          await Promise.all(Array.from({length: window}, (_, i) => s.emitWithAck('echo', sent + i)))
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    for (const s of sockets) s.close()
    return seconds
  })
}

function handshakesPerSecond(guarded: boolean, total = 2_000, concurrency = 20): Promise<Measured> {
  return measure(guarded, total, async (port) => {
    const agent = agentFor(guarded)
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({length: concurrency}, async () => {
        while (next < total) {
          next++
          const s = await client(port, agent)
          s.close()
        }
      }),
    )
    return (performance.now() - started) / 1000
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number

/**
 * Guarded/bare ratios from back-to-back pairs (ABBA order, so drift over the run favours neither side): the median
 * of the per-pair ratios, with the interquartile range of those ratios as the noise band. Reported for wall
 * throughput (what the client saw) and for server capacity (operations per server CPU-second).
 */
async function compare(
  name: string,
  run: (guarded: boolean) => Promise<Measured>,
  rounds = 10,
): Promise<{wall: number; capacity: number}> {
  const pairs: Array<{bare: Measured; guarded: Measured}> = []
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [false, true] : [true, false]
    const pair = {} as {bare: Measured; guarded: Measured}
    for (const g of order) pair[g ? 'guarded' : 'bare'] = await run(g)
    pairs.push(pair)
  }
  const other = aa ? 'bare #2' : 'guarded'
  const line = (label: string, k: keyof Measured, unit: string) => {
    const ratios = pairs.map((p) => p.guarded[k] / p.bare[k])
    const ratio = median(ratios)
    const verdict = ratio >= 0.95 ? '(>= 0.95 OK)' : '(BELOW 0.95)'
    console.log(
      `${label.padEnd(29)} bare ${fmt(median(pairs.map((p) => p.bare[k]))).padStart(8)}${unit}   ${other} ${fmt(median(pairs.map((p) => p.guarded[k]))).padStart(8)}${unit}   ` +
        `ratio ${ratio.toFixed(3)} [IQR ${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)}] ${verdict}`,
    )
    return ratio
  }
  const wall = line(`${name}, wall`, 'perSecond', '/s    ')
  const capacity = line(`${name}, server user CPU`, 'perServerCpuSecond', '/cpu-s')
  return {wall, capacity}
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)

async function manyClientsThroughHaproxy(count = 2_000, messagesEach = 5) {
  const [https, http, app, nginx] = (await freePorts(4)) as [number, number, number, number]
  const stateDir = mkdtempSync(join(tmpdir(), 'ebws-bench-'))
  const state = await localUp({
    mode: 'websocket',
    httpsPort: https,
    httpPort: http,
    app: 'sample',
    appPort: app,
    nginx: false,
    nginxPort: nginx,
    idleTimeoutSeconds: 60,
    allowedHosts: ['localhost'],
    stateDir,
  })
  const pid = (name: string) => state.processes.find((p) => p.name === name)?.pid as number
  const before = {app: rssKiB(pid('app')), haproxy: rssKiB(pid('haproxy'))}
  const agent = new HttpsAgent({rejectUnauthorized: false, maxSockets: Infinity})
  const sockets: Socket[] = []
  try {
    const started = performance.now()
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(
        Array.from({length: Math.min(100, count - i)}, () => {
          const s = io(`https://localhost:${https}`, {
            transports: ['websocket'],
            reconnection: false,
            agent: agent as never,
            rejectUnauthorized: false,
            forceNew: true,
            extraHeaders: {origin: `https://localhost:${https}`},
            timeout: 20_000,
          })
          return new Promise<Socket>((resolve, reject) => {
            s.once('connect', () => resolve(s))
            s.once('connect_error', reject)
          })
        }),
      )
      sockets.push(...batch)
    }
    const connectSeconds = (performance.now() - started) / 1000
    const after = {app: rssKiB(pid('app')), haproxy: rssKiB(pid('haproxy'))}
    let sent = 0
    let acked = 0
    const t0 = performance.now()
    await Promise.all(
      sockets.map(async (s, i) => {
        for (let m = 0; m < messagesEach; m++) {
          sent++
          const reply = await s.timeout(30_000).emitWithAck('echo', {i, m})
          if ((reply as {i: number; m: number}).i === i && (reply as {m: number}).m === m) acked++
        }
      }),
    )
    const msgSeconds = (performance.now() - t0) / 1000
    const connected = sockets.filter((s) => s.connected).length
    console.log(`\n${count} concurrent WebSocket clients through HAProxy (SSL -> TCP) to the sample app:`)
    console.log(`  connected ${connected}/${count} in ${connectSeconds.toFixed(1)} s (TLS at HAProxy)`)
    console.log(
      `  messages sent ${sent}, acknowledged ${acked}, lost ${sent - acked} (${fmt(sent / msgSeconds)} msg/s)`,
    )
    console.log(
      `  memory per connection: app ${((after.app - before.app) / count).toFixed(1)} KiB, HAProxy ${((after.haproxy - before.haproxy) / count).toFixed(1)} KiB (RSS growth / clients)`,
    )
    return sent - acked
  } finally {
    for (const s of sockets) s.close()
    agent.destroy()
    await localDown(stateDir)
    rmSync(stateDir, {recursive: true, force: true})
  }
}

/** The open-file limit: soft raised to the hard one at start (re-exec through sh, which Node cannot do itself). */
const fdLimit = () => Number(execFileSync('sh', ['-c', 'ulimit -n'], {encoding: 'utf8'}).trim())
const hardFdLimit = () => Number(execFileSync('sh', ['-c', 'ulimit -Hn'], {encoding: 'utf8'}).trim())
/** Whether this process may raise its hard limit (root with CAP_SYS_RESOURCE; a container often lacks it). */
const canRaiseHardFdLimit = () => {
  try {
    execFileSync('sh', ['-c', `ulimit -Hn ${hardFdLimit() + 1}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}
/** The one sentence about descriptors the cluster scenario prints first. */
function fdLimitReport(): string {
  const soft = fdLimit()
  const hard = hardFdLimit()
  const was = Number(process.env.EBWS_BENCH_FD_SOFT_AT_START ?? soft)
  const raised = was < soft ? `raised from ${was} to the hard limit at start` : 'already at the hard limit at start'
  const hardNote = canRaiseHardFdLimit()
    ? 'the hard limit could be raised here (ulimit -Hn)'
    : 'the hard limit cannot be raised here (EPERM: no CAP_SYS_RESOURCE)'
  return `open-file limit: soft ${soft} (${raised}), hard ${hard}; ${hardNote}. HAProxy holds 2 descriptors per client (client side + instance side) and derives its maxconn from this limit; the client process holds 1`
}

interface BroadcastRun {
  connected: number
  connectSeconds: number
  expected: number
  delivered: number
  latenciesMs: number[]
  deliveredPerSecond: number
}

/**
 * Connects `count` websocket clients (batches of 200), then sends `broadcasts` chat messages from one of them, one
 * every `gapMs`, and counts what every client receives. Latency: receipt time minus the server's `at` stamp (same
 * machine, same clock).
 */
async function broadcastRun(
  url: string,
  count: number,
  broadcasts: number,
  gapMs: number,
  tls: boolean,
  /** Called with half the clients connected, then with all ('half', then 'all'), before any broadcast. */
  onConnected: (stage: 'half' | 'all', connected: number) => Promise<void> = async () => {},
): Promise<BroadcastRun> {
  const latenciesMs: number[] = []
  let delivered = 0
  let firstSent: number
  let lastReceived = 0
  const started = performance.now()
  const half = Math.floor(count / 2)
  const sockets = await connectMany(url, half, tls)
  try {
    // Memory is sampled with half and with every client connected, before any broadcast: the cost of holding
    // connections. Between the two, the growth per client added leaves out what a process grows by once.
    let halfMs = 0
    if (sockets.length === half) {
      const t = performance.now()
      await new Promise((r) => setTimeout(r, 1000))
      await onConnected('half', sockets.length)
      halfMs = performance.now() - t
      sockets.push(...(await connectMany(url, count - half, tls)))
    }
    const connectSeconds = (performance.now() - started - halfMs) / 1000
    await new Promise((r) => setTimeout(r, 1000))
    await onConnected('all', sockets.length)
    for (const s of sockets) {
      s.on('chat', (m: {at: number}) => {
        const now = Date.now()
        delivered++
        latenciesMs.push(now - m.at)
        lastReceived = performance.now()
      })
    }
    const sender = sockets[0]!
    firstSent = performance.now()
    for (let b = 0; b < broadcasts; b++) {
      await sender.timeout(30_000).emitWithAck('chat', `broadcast ${b}`)
      await new Promise((r) => setTimeout(r, gapMs))
    }
    const expected = broadcasts * sockets.length
    const deadline = Date.now() + 30_000
    while (delivered < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    return {
      connected: sockets.length,
      connectSeconds,
      expected,
      delivered,
      latenciesMs,
      deliveredPerSecond: delivered / ((lastReceived - firstSent) / 1000),
    }
  } finally {
    for (const s of sockets) s.close()
  }
}

/**
 * Opens up to `count` websocket clients, 200 at a time, and stops at the first batch with a failure (a full
 * descriptor table, a refused connection): what was held is what the caller reports.
 */
async function connectMany(
  url: string,
  count: number,
  tls: boolean,
  headers: Record<string, string> = {origin: url.replace(/\/$/, '')},
): Promise<Socket[]> {
  const agent = tls
    ? new HttpsAgent({rejectUnauthorized: false, maxSockets: Infinity, keepAlive: false})
    : new Agent({keepAlive: false})
  const sockets: Socket[] = []
  for (let i = 0; i < count; i += 200) {
    const batch = await Promise.allSettled(
      Array.from({length: Math.min(200, count - i)}, () => {
        const s = io(url, {
          transports: ['websocket'],
          reconnection: false,
          agent: agent as never,
          rejectUnauthorized: false,
          forceNew: true,
          extraHeaders: headers,
          timeout: 30_000,
        })
        return new Promise<Socket>((resolve, reject) => {
          s.once('connect', () => resolve(s))
          s.once('connect_error', (err) => {
            s.close()
            reject(err)
          })
        })
      }),
    )
    for (const r of batch) if (r.status === 'fulfilled') sockets.push(r.value)
    if (batch.some((r) => r.status === 'rejected')) break
  }
  // keepAlive is off: the agent holds no sockets of its own once every upgrade is done.
  return sockets
}

/** What the probe (bench/socketio-probe.ts) reads in a server process after two full GCs. */
interface ProbeReading {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  /** VmRSS just before the GCs, in bytes: what the process holds as it runs. */
  rssBeforeGc: number
  /** Committed bytes of V8's young generation (new space) and old space, after GC. */
  newSpace: number
  oldSpace: number
  /** User + system CPU time so far, ms (from /proc; per connection: µs). */
  cpuMs: number
}
const READING_KEYS = [
  'rss',
  'heapUsed',
  'heapTotal',
  'external',
  'arrayBuffers',
  'rssBeforeGc',
  'newSpace',
  'oldSpace',
  'cpuMs',
] as const

/** Where probes write their readings: made by loadProbe(), which every scenario's process calls first. */
let probeDir = ''
/**
 * Makes every server process started from here on (bare servers, the sample app's instances: they inherit the
 * bench's env) load the probe, through NODE_OPTIONS.
 */
function loadProbe() {
  probeDir = mkdtempSync(join(tmpdir(), 'ebws-bench-probe-'))
  // EBWS_BENCH_HEAP_SNAPSHOT=1: each reading also writes a heap snapshot, kept for DevTools' Memory tab.
  if (process.env.EBWS_BENCH_HEAP_SNAPSHOT === '1') console.log(`heap snapshots: ${probeDir}`)
  else process.on('exit', () => rmSync(probeDir, {recursive: true, force: true}))
  const probeModule = JSON.stringify(join(import.meta.dirname, 'socketio-probe.ts'))
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${probeModule}`.trim()
  process.env.EBWS_BENCH_PROBE_DIR = probeDir
}

/** Asks the probe in `pid` for its memory after GC (SIGUSR2) and waits for its answer. */
async function probe(pid: number): Promise<ProbeReading> {
  const file = join(probeDir, `${pid}.json`)
  rmSync(file, {force: true})
  const rssBeforeGc = rssKiB(pid) * 1024
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10
  process.kill(pid, 'SIGUSR2')
  const deadline = Date.now() + 60_000
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no memory reading from pid ${pid}: is the probe loaded?`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const read = JSON.parse(readFileSync(file, 'utf8')) as ProbeReading & {spaces: Record<string, number>}
  const {spaces, ...usage} = read
  return {...usage, rssBeforeGc, cpuMs, newSpace: spaces.new_space ?? 0, oldSpace: spaces.old_space ?? 0}
}

const sumReadings = (rs: ProbeReading[]): ProbeReading =>
  Object.fromEntries(READING_KEYS.map((k) => [k, rs.reduce((sum, r) => sum + r[k], 0)])) as unknown as ProbeReading

/** Growth per connection in KiB, field by field. */
const perConnection = (before: ProbeReading, after: ProbeReading, n: number): ProbeReading =>
  Object.fromEntries(
    READING_KEYS.map((k) => [k, ((after[k] - before[k]) * (k === 'cpuMs' ? 1000 : 1 / 1024)) / Math.max(1, n)]),
  ) as unknown as ProbeReading

/** The servers the memory scenario compares; `sample` is what each cluster instance runs (Redis, recovery). */
type MemoryVariant = 'bare' | 'bare-young8' | 'sample' | 'sample-no-redis'
/** MEMORY_VARIANTS=bare,sample runs only those (e.g. with EBWS_BENCH_HEAP_SNAPSHOT=1). */
const MEMORY_VARIANTS = (process.env.MEMORY_VARIANTS?.split(',') ?? [
  'bare',
  'bare-young8',
  'sample',
  'sample-no-redis',
]) as MemoryVariant[]

/** Readings of one server process: before any client, then with each size of clients connected. */
interface MemoryRun {
  before: ProbeReading
  at: Array<{connected: number; reading: ProbeReading}>
}

/**
 * One server of `variant` (fresh process), websocket clients straight to its port (no load balancer, no TLS: only the
 * app's own cost), connected up to each of `sizes` in turn, memory read by the probe before and at each size. The
 * sample app runs as `local up` runs it (the bundle, ALB layout), so the client sends the X-Forwarded-Proto and Origin
 * the load balancer and a browser would.
 */
async function memoryOfOne(variant: MemoryVariant, sizes: number[]): Promise<MemoryRun> {
  let pid: number
  let url: string
  let headers: Record<string, string> = {}
  let stop: () => Promise<void>
  if (variant === 'bare' || variant === 'bare-young8') {
    // bare-young8: the same server with the sample app's Node flags (its young generation cap).
    await spawnServer('bare', variant === 'bare' ? [] : SAMPLE_APP_NODE_FLAGS)
    pid = servers.bare.pid
    url = `http://localhost:${servers.bare.port}/`
    stop = async () => servers.bare.kill()
  } else {
    const [https, http, redisPort, app, nginx] = (await freePorts(5)) as [number, number, number, number, number]
    const stateDir = mkdtempSync(join(tmpdir(), 'ebws-bench-memory-'))
    const state = await localUp({
      mode: 'websocket',
      loadBalancer: 'application',
      instances: 1,
      redis: variant === 'sample',
      redisPort,
      httpsPort: https,
      httpPort: http,
      app: 'sample',
      appPort: app,
      nginx: false,
      nginxPort: nginx,
      idleTimeoutSeconds: 120,
      allowedHosts: ['localhost'],
      stateDir,
    })
    pid = state.processes.find((p) => p.name.startsWith('app'))!.pid
    url = `http://localhost:${app}/`
    headers = {origin: `https://localhost:${https}`, 'x-forwarded-proto': 'https'}
    stop = async () => {
      await localDown(stateDir)
      rmSync(stateDir, {recursive: true, force: true})
    }
  }
  const sockets: Socket[] = []
  try {
    // Settle: the app has connected to Redis and finished starting up before the first reading.
    await new Promise((r) => setTimeout(r, 1000))
    const run: MemoryRun = {before: await probe(pid), at: []}
    for (const size of sizes) {
      sockets.push(...(await connectMany(url, size - sockets.length, false, headers)))
      await new Promise((r) => setTimeout(r, 1000))
      run.at.push({connected: sockets.length, reading: await probe(pid)})
    }
    return run
  } finally {
    for (const s of sockets) s.close()
    await stop()
  }
}

/**
 * Memory per connection of the sample app (one instance, Redis Streams adapter + connection state recovery, as in the
 * cluster), of the sample app without REDIS_URL (what Redis and recovery add) and of bare Socket.io, in rounds that
 * alternate which goes first; medians. Per connection at each size is growth from no clients / clients; the marginal
 * figure is growth between the two sizes / the clients added, which leaves out what a process grows by once
 * (the young generation, pools), whatever its client count.
 */
async function memoryScenario(
  sizes = (process.env.MEMORY_SIZES ?? '1000,5000').split(',').map(Number),
  rounds = Number(process.env.MEMORY_ROUNDS ?? 3),
) {
  // The sample app caps connections per instance at 4,096 by default (MAX_CONNECTIONS): lift it for the 5,000 step.
  process.env.MAX_CONNECTIONS = String(Math.max(...sizes) + 100)
  console.log(
    `\nMemory per connection (KiB), one server process, websocket clients straight to its port, median of ${rounds} alternated rounds:`,
  )
  console.log(
    '  RSS = VmRSS growth as it runs; after 2 full GCs: RSS, V8 heap used/committed, external (Buffers); young gen = committed MiB',
  )
  const runs: Record<MemoryVariant, MemoryRun[]> = {bare: [], 'bare-young8': [], sample: [], 'sample-no-redis': []}
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? MEMORY_VARIANTS : [...MEMORY_VARIANTS].reverse()
    for (const variant of order) runs[variant].push(await memoryOfOne(variant, sizes))
  }
  const kib = (x: number) => x.toFixed(1).padStart(5)
  const rows: Record<string, Record<MemoryVariant, ProbeReading>> = {}
  for (const variant of MEMORY_VARIANTS) {
    if (runs[variant].length === 0) continue
    const steps = sizes.map((_, i) => ({
      label: `n=${sizes[i]}`,
      per: runs[variant].map((r) => perConnection(r.before, r.at[i]!.reading, r.at[i]!.connected)),
    }))
    if (sizes.length > 1) {
      const last = sizes.length - 1
      steps.push({
        label: `${sizes[0]}->${sizes[last]}`,
        per: runs[variant].map((r) =>
          perConnection(r.at[0]!.reading, r.at[last]!.reading, r.at[last]!.connected - r.at[0]!.connected),
        ),
      })
    }
    for (const {label, per} of steps) {
      const m = (k: keyof ProbeReading) => median(per.map((p) => p[k]))
      const row = Object.fromEntries(READING_KEYS.map((k) => [k, m(k)])) as unknown as ProbeReading
      ;(rows[label] ??= {} as Record<MemoryVariant, ProbeReading>)[variant] = row
      console.log(
        `  ${label.padEnd(10)} ${variant.padEnd(16)} RSS ${kib(row.rssBeforeGc)}; after GC: RSS ${kib(row.rss)}, heap ${kib(row.heapUsed)}/${kib(row.heapTotal)}, ` +
          `external ${kib(row.external)}; CPU ${row.cpuMs.toFixed(0).padStart(4)} µs  [RSS runs: ${per.map((p) => p.rssBeforeGc.toFixed(1)).join(', ')}]`,
      )
    }
    const young = runs[variant].map((r) => [r.before, ...r.at.map((a) => a.reading)].map((x) => x.newSpace / 2 ** 20))
    console.log(
      `  ${''.padEnd(10)} ${variant.padEnd(16)} young gen MiB (before, ${sizes.join(', ')}): ${young.map((y) => y.map((v) => v.toFixed(1)).join('/')).join('; ')}`,
    )
  }
  for (const [label, row] of Object.entries(rows)) {
    for (const peer of ['bare', 'bare-young8'] as const) {
      if (!row.sample || !row[peer]) continue
      const ratio = (k: keyof ProbeReading) => (row.sample[k] / row[peer][k]).toFixed(2)
      console.log(
        `  ${label.padEnd(10)} sample/${peer}: RSS ${ratio('rssBeforeGc')}, RSS after GC ${ratio('rss')}, heap used ${ratio('heapUsed')}, CPU ${ratio('cpuMs')}`,
      )
    }
  }
  return rows
}

/** One side of the cluster scenario: what its clients saw and its servers' memory growth per connection. */
interface ClusterSide {
  run: BroadcastRun
  /** Growth from no clients to all / clients (the figure). */
  memory: ProbeReading
  /** Growth from half the clients to all / clients added: without what a process grows by once. */
  marginal: ProbeReading | undefined
}

/** Runs the clients against a server whose memory `read` gives (summed over its processes). */
async function measuredSide(
  url: string,
  count: number,
  broadcasts: number,
  gapMs: number,
  tls: boolean,
  read: () => Promise<ProbeReading>,
): Promise<ClusterSide> {
  await new Promise((r) => setTimeout(r, 1000))
  const before = await read()
  const at: Partial<Record<'half' | 'all', {reading: ProbeReading; connected: number}>> = {}
  const run = await broadcastRun(url, count, broadcasts, gapMs, tls, async (stage, connected) => {
    at[stage] = {reading: await read(), connected}
  })
  const all = at.all!
  return {
    run,
    memory: perConnection(before, all.reading, all.connected),
    marginal: at.half && perConnection(at.half.reading, all.reading, all.connected - at.half.connected),
  }
}

/** CLUSTER_CLIENTS websocket clients across 3 sample-app instances + Redis behind HAProxy (ALB layout, TLS). */
async function clusterSide(count: number, broadcasts: number, gapMs: number): Promise<ClusterSide> {
  const {freeBlocks} = await import('../test/e2e/helpers.ts')
  const [https, http, redisPort] = (await freePorts(3)) as [number, number, number]
  const [app, nginx] = (await freeBlocks([3, 6])) as [number, number]
  const stateDir = mkdtempSync(join(tmpdir(), 'ebws-bench-cluster-'))
  try {
    const state = await localUp({
      mode: 'websocket',
      loadBalancer: 'application',
      instances: 3,
      redis: true,
      redisPort,
      httpsPort: https,
      httpPort: http,
      app: 'sample',
      appPort: app,
      nginx: false,
      nginxPort: nginx,
      idleTimeoutSeconds: 120,
      allowedHosts: ['localhost'],
      stateDir,
    })
    const appPids = state.processes.filter((p) => p.name.startsWith('app-')).map((p) => p.pid)
    return await measuredSide(`https://localhost:${https}/`, count, broadcasts, gapMs, true, async () =>
      sumReadings(await Promise.all(appPids.map(probe))),
    )
  } finally {
    await localDown(stateDir)
    rmSync(stateDir, {recursive: true, force: true})
  }
}

/** The peer: one bare Socket.io server (Node's defaults, no TLS, no load balancer) with the same clients. */
async function bareSide(count: number, broadcasts: number, gapMs: number): Promise<ClusterSide> {
  await spawnServer('bare')
  try {
    return await measuredSide(`http://localhost:${servers.bare.port}/`, count, broadcasts, gapMs, false, () =>
      probe(servers.bare.pid),
    )
  } finally {
    servers.bare.kill()
  }
}

/**
 * CLUSTER_RUNS runs (default 1), alternating which side goes first, each printed, then the medians. Returns the
 * messages lost by the cluster, all runs together.
 */
async function clusterScenario(
  count = Number(process.env.CLUSTER_CLIENTS ?? 10_000),
  broadcasts = Number(process.env.CLUSTER_BROADCASTS ?? 20),
  runs = Number(process.env.CLUSTER_RUNS ?? 1),
) {
  console.log(
    `\nCluster: ${count} WebSocket clients across 3 sample-app instances + Redis Streams adapter behind HAProxy (ALB layout), vs one bare Socket.io server`,
  )
  console.log(`  ${fdLimitReport()}`)
  // Back to back by default (each after the previous one is acknowledged): delivered msg/s is then throughput.
  const gapMs = Number(process.env.CLUSTER_GAP_MS ?? 0)
  const ms = (xs: number[], q: number) => (xs.length ? quantile(xs, q).toFixed(0) : '-')
  const results: Array<{cluster: ClusterSide; bare: ClusterSide}> = []
  for (let i = 0; i < runs; i++) {
    const bareFirst = i % 2 === 1
    let bare = bareFirst ? await bareSide(count, broadcasts, gapMs) : undefined
    const cluster = await clusterSide(count, broadcasts, gapMs)
    // Same client count: the bare server gets what the cluster held (when it goes first, the count asked for).
    bare ??= await bareSide(cluster.run.connected, broadcasts, gapMs)
    results.push({cluster, bare})
    console.log(`  run ${i + 1} of ${runs} (${bareFirst ? 'bare first' : 'cluster first'}):`)
    for (const [label, r] of [
      ['cluster (3 + Redis, TLS at LB)', cluster.run],
      ['bare (1 server, no TLS)', bare.run],
    ] as const) {
      console.log(
        `    ${label.padEnd(31)} connected ${r.connected}/${count} in ${r.connectSeconds.toFixed(1)} s; delivered ${r.delivered}/${r.expected}, ` +
          `lost ${r.expected - r.delivered}; latency p50 ${ms(r.latenciesMs, 0.5)} ms p99 ${ms(r.latenciesMs, 0.99)} ms; ${fmt(r.deliveredPerSecond)} msg/s`,
      )
    }
    const [c, b] = [cluster.memory, bare.memory]
    console.log(
      `    server RSS per connection (growth with every client connected / clients; cluster: 3 instances summed): ${c.rssBeforeGc.toFixed(1)} KiB (goal <= 30); bare ${b.rssBeforeGc.toFixed(1)} KiB; ratio ${(c.rssBeforeGc / b.rssBeforeGc).toFixed(2)}`,
    )
    console.log(
      `    after 2 full GCs, per connection: RSS ${c.rss.toFixed(1)} vs ${b.rss.toFixed(1)} KiB, V8 heap used ${c.heapUsed.toFixed(1)} vs ${b.heapUsed.toFixed(1)} KiB ` +
        `(ratio ${(c.heapUsed / b.heapUsed).toFixed(2)}); young generation committed ${c.newSpace.toFixed(1)} vs ${b.newSpace.toFixed(1)} KiB`,
    )
    const [cm, bm] = [cluster.marginal, bare.marginal]
    if (cm && bm)
      console.log(
        `    from half the clients to all, per client added: RSS ${cm.rssBeforeGc.toFixed(1)} vs ${bm.rssBeforeGc.toFixed(1)} KiB (ratio ${(cm.rssBeforeGc / bm.rssBeforeGc).toFixed(2)}), ` +
          `V8 heap used ${cm.heapUsed.toFixed(1)} vs ${bm.heapUsed.toFixed(1)} KiB`,
      )
    console.log(
      `    delivered msg/s ratio cluster/bare: ${(cluster.run.deliveredPerSecond / bare.run.deliveredPerSecond).toFixed(3)} (${broadcasts} broadcasts, ${gapMs} ms apart)`,
    )
  }
  const med = (f: (r: {cluster: ClusterSide; bare: ClusterSide}) => number) => median(results.map(f))
  const lost = results.reduce((sum, r) => sum + r.cluster.run.expected - r.cluster.run.delivered, 0)
  const bareLost = results.reduce((sum, r) => sum + r.bare.run.expected - r.bare.run.delivered, 0)
  console.log(
    `  median of ${runs}: RSS per connection cluster ${med((r) => r.cluster.memory.rssBeforeGc).toFixed(1)} KiB (goal <= 30), bare ${med((r) => r.bare.memory.rssBeforeGc).toFixed(1)} KiB, ` +
      `ratio ${med((r) => r.cluster.memory.rssBeforeGc / r.bare.memory.rssBeforeGc).toFixed(2)}; heap used ${med((r) => r.cluster.memory.heapUsed).toFixed(1)} vs ${med((r) => r.bare.memory.heapUsed).toFixed(1)} KiB; ` +
      `p50 ${med((r) => quantile(r.cluster.run.latenciesMs, 0.5)).toFixed(0)} vs ${med((r) => quantile(r.bare.run.latenciesMs, 0.5)).toFixed(0)} ms, ` +
      `p99 ${med((r) => quantile(r.cluster.run.latenciesMs, 0.99)).toFixed(0)} vs ${med((r) => quantile(r.bare.run.latenciesMs, 0.99)).toFixed(0)} ms; ` +
      `lost ${lost} (cluster), ${bareLost} (bare)`,
  )
  if (results.every((r) => r.cluster.marginal && r.bare.marginal))
    console.log(
      `  median of ${runs}, from half the clients to all, RSS per client added: cluster ${med((r) => r.cluster.marginal!.rssBeforeGc).toFixed(1)} KiB, bare ${med((r) => r.bare.marginal!.rssBeforeGc).toFixed(1)} KiB, ` +
        `ratio ${med((r) => r.cluster.marginal!.rssBeforeGc / r.bare.marginal!.rssBeforeGc).toFixed(2)}`,
    )
  const held = Math.min(...results.map((r) => r.cluster.run.connected))
  if (held < count)
    console.log(
      held >= hardFdLimit() / 2 - 100
        ? `  held ${held} of ${count}: LIMITED BY THIS MACHINE'S OPEN-FILE HARD LIMIT (${hardFdLimit()}): HAProxy's maxconn, derived from it, is about ${hardFdLimit()} / 2 less its listeners and checks. ${count} clients need a hard limit of at least ${2 * count + 200}.`
        : `  held ${held} of ${count}: NOT the open-file limit (it allows about ${Math.floor(hardFdLimit() / 2)}); see the instances' logs`,
    )
  return lost
}

if (process.argv[2] === '--server') {
  const port = await startServer(process.argv[3] === 'guarded')
  process.on('message', () => {
    ;(globalThis as {gc?: () => void}).gc?.()
    // User time only: what JavaScript (the guard included) spends. The kernel's share of a loopback connection is
    // the same for both servers (same packets), and it is where most of the run-to-run noise of this machine is.
    process.send!(process.cpuUsage().user)
  })
  process.stdout.write(`${port}\n`)
  process.on('SIGTERM', () => process.exit(0))
  await new Promise(() => {})
}

// Use the whole open-file allowance (10,000 clients need ~20,000 descriptors in HAProxy): re-exec with the soft limit
// raised to the hard one, which children (HAProxy, the instances, redis-server) inherit.
if (fdLimit() < hardFdLimit() && !process.env.EBWS_BENCH_FD_RAISED) {
  const args = process.argv
    .slice(1)
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ')
  const child = spawn('sh', ['-c', `ulimit -n $(ulimit -Hn) && exec '${process.execPath}' ${args}`], {
    stdio: 'inherit',
    env: {...process.env, EBWS_BENCH_FD_RAISED: '1', EBWS_BENCH_FD_SOFT_AT_START: String(fdLimit())},
  })
  process.exitCode = await new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)))
  process.exit()
}
loadProbe()
if (process.argv.includes('--memory')) {
  await memoryScenario()
  process.exit()
}
if (process.argv.includes('--cluster')) {
  process.exitCode = (await clusterScenario()) === 0 ? 0 : 1
  process.exit()
}
await spawnServer('bare')
await spawnServer('bare2')
await spawnServer('guarded')
console.log(
  `Node ${process.version}, Socket.io 4, loopback, median of 10 back-to-back pairs (ABBA), same client for both servers`,
)
console.log(
  'guarded = io.engine.use(httpsRedirect) + acceptProxyProtocol (client sends a PROXY line per connection); servers in child processes\n',
)
// Warm every server the same way (JIT) before anything is measured, the A/A server included.
for (const warm of [messagesPerSecond, handshakesPerSecond]) {
  for (const a of [false, true]) {
    aa = a
    await warm(false)
    await warm(true)
  }
}
aa = false
const ratios = [
  await compare('messages', (g) => messagesPerSecond(g)),
  await compare('handshakes', (g) => handshakesPerSecond(g)),
]
aa = true
await compare('messages A/A', (g) => messagesPerSecond(g))
await compare('handshakes A/A', (g) => handshakesPerSecond(g))
for (const srv of Object.values(servers)) srv.kill()
const lost = await manyClientsThroughHaproxy()
const clusterLost = await clusterScenario()
process.exitCode = lost === 0 && clusterLost === 0 && ratios.every((r) => r.capacity >= 0.95) ? 0 : 1
