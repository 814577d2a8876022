/**
 * The PROXY header reader's cost: v1 (the CLB's line) and v2 (the NLB's binary block) against main's v1-only reader,
 * same run. Two measurements:
 * 1. Server user CPU per connection on real loopback sockets: an http.Server in a child process per reader (and one
 *    without any, the floor), each connection = header + GET + response + close. The reader's cost is the
 *    difference to the bare server in the same round; rounds rotate the order so drift favours nobody.
 * 2. The reader alone, in process, on stand-in sockets (no kernel, no HTTP parser): nanoseconds per connection.
 * main's reader comes from `git show main:src/redirect/...` (skipped when git or the branch is missing).
 * Loopback only, bounded loops. Run: node bench/proxy-protocol.ts
 */
import {execFileSync, spawn} from 'node:child_process'
import {EventEmitter} from 'node:events'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {connect, createServer as createNetServer, type AddressInfo, type Socket} from 'node:net'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

type Reader = {acceptProxyProtocol: (server: never, options?: object) => void}
const HERE = import.meta.dirname
const V1 = Buffer.from('PROXY TCP4 198.51.100.22 10.0.0.7 35646 443\r\n')
// What an NLB sends for an IPv4 client: TCP4 addresses plus the AWS TLV (type 0xEA, subtype 0x01 = VPC endpoint ID).
const V2 = (() => {
  const tlvValue = Buffer.concat([Buffer.from([0x01]), Buffer.from('vpce-08d2bf15fac5001c9')])
  const b = Buffer.alloc(16 + 12 + 3 + tlvValue.length)
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11]).copy(b)
  b.writeUInt16BE(b.length - 16, 14)
  Buffer.from([198, 51, 100, 22, 10, 0, 0, 7]).copy(b, 16)
  b.writeUInt16BE(35646, 24)
  b.writeUInt16BE(443, 26)
  b[28] = 0xea
  b.writeUInt16BE(tlvValue.length, 29)
  tlvValue.copy(b, 31)
  return b
})()
const GET = Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')

/** main's reader, written to a temp dir so it can be imported beside ours; undefined when git cannot give it. */
function mainReaderDir(): string | undefined {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-bench-pp-main-'))
    for (const file of ['proxy-protocol.ts', 'forwarded.ts']) {
      writeFileSync(
        join(dir, file),
        execFileSync('git', ['show', `main:src/redirect/${file}`], {cwd: HERE, encoding: 'utf8'}),
      )
    }
    return dir
  } catch {
    return undefined
  }
}
const importReader = async (dir: string): Promise<Reader> =>
  (await import(pathToFileURL(join(dir, 'proxy-protocol.ts')).href)) as Reader
const OURS = join(HERE, '..', 'src', 'redirect')

// ---- 1. real sockets, server CPU in child processes --------------------------------------------------------------
if (process.argv[2] === '--server') {
  const server = createServer((_req, res) => res.end('ok'))
  const dir = process.argv[3]
  if (dir) (await importReader(dir)).acceptProxyProtocol(server as never)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  process.on('message', () => {
    ;(globalThis as {gc?: () => void}).gc?.()
    process.send!(process.cpuUsage().user)
  })
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
  await new Promise(() => {})
}

interface ChildServer {
  port: number
  cpuMicros: () => Promise<number>
  kill: () => void
}
async function spawnServer(readerDir: string | undefined): Promise<ChildServer> {
  const args = [process.execPath, '--expose-gc', import.meta.filename, '--server', ...(readerDir ? [readerDir] : [])]
  const pin = availableParallelism() >= 2
  const child = spawn(
    pin ? 'taskset' : args[0]!,
    pin ? ['-c', String(availableParallelism() - 1), ...args] : args.slice(1),
    {stdio: ['ignore', 'pipe', 'inherit', 'ipc']},
  )
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', () => reject(new Error('bench server exited')))
  })
  const cpuMicros = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve(m as number))
      child.send('cpu')
    })
  return {port, cpuMicros, kill: () => child.kill()}
}

function oneConnection(port: number, header: Buffer | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({port, host: '127.0.0.1', noDelay: true}, () =>
      s.end(header ? Buffer.concat([header, GET]) : GET),
    )
    let got = 0
    s.on('data', (d) => (got += d.length))
    s.on('error', reject)
    s.on('close', () => (got > 0 ? resolve() : reject(new Error('no response'))))
  })
}

async function cpuPerConnection(
  server: ChildServer,
  header: Buffer | undefined,
  total = 1500,
  concurrency = 16,
): Promise<number> {
  const cpu0 = await server.cpuMicros()
  let next = 0
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next++ < total) await oneConnection(server.port, header)
    }),
  )
  return ((await server.cpuMicros()) - cpu0) / total
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number

/** Median of the per-round ratios a[i] / b[i] (both measured in round i), with their interquartile range. */
function pairedRatio(a: number[], b: number[]): string {
  const ratios = a.map((x, i) => x / b[i]!)
  return `${median(ratios).toFixed(2)} (median of ${ratios.length} same-round ratios, IQR ${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)})`
}

const mainDir = mainReaderDir()
try {
  console.log(
    `Node ${process.version}; main's reader ${mainDir ? 'from git show main:' : 'unavailable (no git/main): ours only'}\n`,
  )
  const variants: {name: string; dir: string | undefined; header: Buffer | undefined}[] = [
    {name: 'bare (no reader)', dir: undefined, header: undefined},
    ...(mainDir ? [{name: 'main, v1', dir: mainDir, header: V1}] : []),
    {name: 'ours, v1', dir: OURS, header: V1},
    {name: 'ours, v2 + TLV', dir: OURS, header: V2},
  ]
  const servers = await Promise.all(variants.map((v) => spawnServer(v.dir)))
  for (const [i, v] of variants.entries()) await cpuPerConnection(servers[i]!, v.header, 600) // JIT warm-up
  const rounds = 30
  const costs: number[][] = variants.map(() => [])
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => (i + r) % variants.length)
    const micros: number[] = []
    for (const i of order) micros[i] = await cpuPerConnection(servers[i]!, variants[i]!.header, 500)
    for (const i of variants.keys()) costs[i]!.push(micros[i]! - micros[0]!)
    if (r === 0) console.log(`round 1: bare server ${micros[0]!.toFixed(1)} us user CPU per connection`)
  }
  for (const s of servers) s.kill()
  console.log(
    `\n1. Reader cost = server user CPU per connection above the bare server, same round (median of ${rounds}, [IQR]):`,
  )
  for (const [i, v] of variants.entries()) {
    if (i === 0) continue
    const c = costs[i]!
    console.log(
      `  ${v.name.padEnd(16)} ${median(c).toFixed(1).padStart(6)} us  [${quantile(c, 0.25).toFixed(1)} - ${quantile(c, 0.75).toFixed(1)}]`,
    )
  }
  const of = (rows: number[][], names: string[], name: string) => rows[names.indexOf(name)]!
  const names1 = variants.map((v) => v.name)
  if (mainDir)
    console.log(`  ours v1 / main v1: ${pairedRatio(of(costs, names1, 'ours, v1'), of(costs, names1, 'main, v1'))}`)
  console.log(`  ours v2 / ours v1: ${pairedRatio(of(costs, names1, 'ours, v2 + TLV'), of(costs, names1, 'ours, v1'))}`)

  // ---- 2. the reader alone ----------------------------------------------------------------------------------
  /** Just what the reader touches on a net.Socket. */
  class StandIn extends EventEmitter {
    pause() {}
    resume() {}
    unshift() {}
    destroy() {}
  }
  async function nsPerConnection(reader: Reader, header: Buffer, n: number): Promise<number> {
    const server = createNetServer(() => {})
    reader.acceptProxyProtocol(server as never)
    const packet = Buffer.concat([header, GET])
    // CPU time of this process, not wall time: time spent descheduled on a shared machine is not counted.
    const t0 = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const s = new StandIn()
      server.emit('connection', s)
      s.emit('data', packet)
    }
    const t = process.cpuUsage(t0)
    return ((t.user + t.system) * 1000) / n
  }
  const readers: {name: string; reader: Reader; header: Buffer}[] = [
    ...(mainDir ? [{name: 'main, v1', reader: await importReader(mainDir), header: V1}] : []),
    {name: 'ours, v1', reader: await importReader(OURS), header: V1},
    {name: 'ours, v2 + TLV', reader: await importReader(OURS), header: V2},
  ]
  const ns: number[][] = readers.map(() => [])
  for (const r of readers) await nsPerConnection(r.reader, r.header, 50_000)
  // Short interleaved chunks, so a burst of load from elsewhere hits every reader alike.
  for (let round = 0; round < 200; round++) {
    for (let k = 0; k < readers.length; k++) {
      const i = (k + round) % readers.length
      ns[i]!.push(await nsPerConnection(readers[i]!.reader, readers[i]!.header, 5_000))
    }
  }
  console.log(
    '\n2. Reader alone on stand-in sockets, CPU time (median of 200 interleaved chunks of 5,000 connections, [IQR]):',
  )
  for (const [i, r] of readers.entries()) {
    console.log(
      `  ${r.name.padEnd(16)} ${median(ns[i]!).toFixed(0).padStart(6)} ns  [${quantile(ns[i]!, 0.25).toFixed(0)} - ${quantile(ns[i]!, 0.75).toFixed(0)}]`,
    )
  }
  const names2 = readers.map((r) => r.name)
  if (mainDir)
    console.log(`  ours v1 / main v1: ${pairedRatio(of(ns, names2, 'ours, v1'), of(ns, names2, 'main, v1'))}`)
  console.log(`  ours v2 / ours v1: ${pairedRatio(of(ns, names2, 'ours, v2 + TLV'), of(ns, names2, 'ours, v1'))}`)
} finally {
  if (mainDir) rmSync(mainDir, {recursive: true, force: true})
}
