/**
 * Socket.io throughput with and without the ebws guard (HTTPS redirect as an Engine.IO middleware + PROXY v1 reader),
 * same run, same client; then 2,000 concurrent WebSocket clients through HAProxy (`ebws local up`, websocket layout)
 * with every message acknowledged. Loopback only, bounded loops. Run: node bench/socketio.ts
 */
import {spawn} from 'node:child_process'
import {Agent, createServer} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'
import {readFileSync} from 'node:fs'
import {mkdtempSync, rmSync} from 'node:fs'
import {connect, type AddressInfo, type NetConnectOpts, type Socket as NetSocket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Server} from 'socket.io'
import {io, type Socket} from 'socket.io-client'

import {acceptProxyProtocol, httpsRedirect} from '../src/redirect/index.ts'
import {localDown, localUp} from '../src/local/run.ts'
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

async function startServer(guarded: boolean) {
  const server = createServer()
  const ioServer = new Server(server, {transports: ['websocket']})
  if (guarded) {
    ioServer.engine.use(httpsRedirect({allowedHosts: ['localhost']}))
    acceptProxyProtocol(server)
  }
  ioServer.on('connection', (s) => s.on('echo', (payload: unknown, ack: (p: unknown) => void) => ack(payload)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {port, close: () => new Promise<void>((r) => {
    ioServer.close()
    server.closeAllConnections()
    server.close(() => r())
  })}
}

function client(port: number, agent: Agent): Promise<Socket> {
  const socket = io(`http://localhost:${port}`, {transports: ['websocket'], reconnection: false, agent: agent as never, forceNew: true})
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

const agentFor = (guarded: boolean) => new ProxyLineAgent(guarded && !aa ? 'PROXY TCP4 198.51.100.22 10.0.0.7 35646 443\r\n' : undefined)

/** The two servers run in their own processes (one core each side on a small machine), started once. */
const servers: Record<'bare' | 'bare2' | 'guarded', {port: number; kill: () => void}> = {} as never
/** A/A mode: "guarded" runs go to a second bare server, to show the noise floor of this machine. */
let aa = false
async function spawnServer(kind: 'bare' | 'bare2' | 'guarded') {
  const child = spawn(process.execPath, [import.meta.filename, '--server', kind], {stdio: ['ignore', 'pipe', 'inherit']})
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', () => reject(new Error(`${kind} server exited`)))
  })
  servers[kind] = {port, kill: () => child.kill()}
}
const serverFor = (guarded: boolean) => ({port: servers[guarded ? (aa ? 'bare2' : 'guarded') : 'bare'].port, close: async () => {}})

async function messagesPerSecond(guarded: boolean, clients = 20, perClient = 2_000, window = 50): Promise<number> {
  const srv = serverFor(guarded)
  const sockets = await Promise.all(Array.from({length: clients}, () => client(srv.port, agentFor(guarded))))
  const started = performance.now()
  await Promise.all(sockets.map(async (s) => {
    for (let sent = 0; sent < perClient; sent += window) {
      await Promise.all(Array.from({length: window}, (_, i) => s.emitWithAck('echo', sent + i)))
    }
  }))
  const seconds = (performance.now() - started) / 1000
  for (const s of sockets) s.close()
  await srv.close()
  return (clients * perClient) / seconds
}

async function handshakesPerSecond(guarded: boolean, total = 400, concurrency = 20): Promise<number> {
  const srv = serverFor(guarded)
  const agent = agentFor(guarded)
  const started = performance.now()
  let next = 0
  await Promise.all(Array.from({length: concurrency}, async () => {
    while (next < total) {
      next++
      const s = await client(srv.port, agent)
      s.close()
    }
  }))
  const seconds = (performance.now() - started) / 1000
  await srv.close()
  return total / seconds
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

async function compare(name: string, run: (guarded: boolean) => Promise<number>, rounds = 6) {
  await run(false) // warm-up (JIT)
  await run(true)
  const bare: number[] = []
  const guarded: number[] = []
  // ABBA order, so drift over the run (GC, heat) does not favour either side.
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [false, true] : [true, false]
    for (const g of order) (g ? guarded : bare).push(await run(g))
  }
  const ratio = median(guarded) / median(bare)
  console.log(`${name.padEnd(16)} bare ${fmt(median(bare)).padStart(8)}/s   ${aa ? 'bare #2' : 'guarded'} ${fmt(median(guarded)).padStart(8)}/s   ratio ${ratio.toFixed(3)} ${ratio >= 0.95 ? '(>= 0.95 OK)' : '(BELOW 0.95)'}`)
  return ratio
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)

async function manyClientsThroughHaproxy(count = 2_000, messagesEach = 5) {
  const [https, http, app, nginx] = (await freePorts(4)) as [number, number, number, number]
  const stateDir = mkdtempSync(join(tmpdir(), 'ebws-bench-'))
  const state = await localUp({
    mode: 'websocket', httpsPort: https, httpPort: http, app: 'sample', appPort: app, nginx: false, nginxPort: nginx,
    idleTimeoutSeconds: 60, allowedHosts: ['localhost'], stateDir,
  })
  const pid = (name: string) => state.processes.find((p) => p.name === name)?.pid as number
  const before = {app: rssKiB(pid('app')), haproxy: rssKiB(pid('haproxy'))}
  const agent = new HttpsAgent({rejectUnauthorized: false, maxSockets: Infinity})
  const sockets: Socket[] = []
  try {
    const started = performance.now()
    for (let i = 0; i < count; i += 100) {
      const batch = await Promise.all(Array.from({length: Math.min(100, count - i)}, () => {
        const s = io(`https://localhost:${https}`, {
          transports: ['websocket'], reconnection: false, agent: agent as never, rejectUnauthorized: false, forceNew: true,
          extraHeaders: {origin: `https://localhost:${https}`}, timeout: 20_000,
        })
        return new Promise<Socket>((resolve, reject) => {
          s.once('connect', () => resolve(s))
          s.once('connect_error', reject)
        })
      }))
      sockets.push(...batch)
    }
    const connectSeconds = (performance.now() - started) / 1000
    const after = {app: rssKiB(pid('app')), haproxy: rssKiB(pid('haproxy'))}
    let sent = 0
    let acked = 0
    const t0 = performance.now()
    await Promise.all(sockets.map(async (s, i) => {
      for (let m = 0; m < messagesEach; m++) {
        sent++
        const reply = await s.timeout(30_000).emitWithAck('echo', {i, m})
        if ((reply as {i: number; m: number}).i === i && (reply as {m: number}).m === m) acked++
      }
    }))
    const msgSeconds = (performance.now() - t0) / 1000
    const connected = sockets.filter((s) => s.connected).length
    console.log(`\n${count} concurrent WebSocket clients through HAProxy (SSL -> TCP) to the sample app:`)
    console.log(`  connected ${connected}/${count} in ${connectSeconds.toFixed(1)} s (TLS at HAProxy)`)
    console.log(`  messages sent ${sent}, acknowledged ${acked}, lost ${sent - acked} (${fmt(sent / msgSeconds)} msg/s)`)
    console.log(`  memory per connection: app ${((after.app - before.app) / count).toFixed(1)} KiB, HAProxy ${((after.haproxy - before.haproxy) / count).toFixed(1)} KiB (RSS growth / clients)`)
    return sent - acked
  } finally {
    for (const s of sockets) s.close()
    agent.destroy()
    await localDown(stateDir)
    rmSync(stateDir, {recursive: true, force: true})
  }
}

if (process.argv[2] === '--server') {
  const srv = await startServer(process.argv[3] === 'guarded')
  process.stdout.write(`${srv.port}\n`)
  process.on('SIGTERM', () => process.exit(0))
  await new Promise(() => {})
}

await spawnServer('bare')
await spawnServer('bare2')
await spawnServer('guarded')
console.log(`Node ${process.version}, Socket.io 4, loopback, median of 6 rounds (ABBA), same client for both servers`)
console.log('guarded = io.engine.use(httpsRedirect) + acceptProxyProtocol (client sends a PROXY line per connection); servers in child processes\n')
const ratios = [await compare('messages', (g) => messagesPerSecond(g)), await compare('handshakes', (g) => handshakesPerSecond(g))]
aa = true
await compare('messages A/A', (g) => messagesPerSecond(g))
await compare('handshakes A/A', (g) => handshakesPerSecond(g))
for (const srv of Object.values(servers)) srv.kill()
const lost = await manyClientsThroughHaproxy()
process.exitCode = lost === 0 && ratios.every((r) => r >= 0.95) ? 0 : 1
