import {request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {createServer, type AddressInfo} from 'node:net'
import {rmSync} from 'node:fs'

import {io, type Socket} from 'socket.io-client'

import type {LayoutMode} from '../../src/listeners/modes.ts'
import {portIsFree} from '../../src/local/processes.ts'
import {localDown, localUp, type LocalState, type LocalUpOptions} from '../../src/local/run.ts'
import {tempDir} from '../helpers/cli.ts'

/** Distinct free ports on 127.0.0.1 (all held open together, so they are distinct). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      {length: n},
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer()
          s.listen(0, '127.0.0.1', () => resolve(s))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** Start ports of free blocks of the given sizes, between 20000 and 32000 (below Linux's ephemeral range). */
export async function freeBlocks(sizes: number[]): Promise<number[]> {
  const starts: number[] = []
  let next = 20_000 + Math.floor(Math.random() * 1_200) * 10
  for (const size of sizes) {
    for (;;) {
      const start = next
      next = start + size + 1 > 32_000 ? 20_000 : start + size + 1
      const free = await Promise.all(Array.from({length: size}, (_, i) => portIsFree(start + i)))
      if (free.every(Boolean)) {
        starts.push(start)
        break
      }
    }
  }
  return starts
}

/**
 * --app-port and --nginx-port for `instances` instances: instance i uses app-port + i, and nginx-port + 2i and
 * + 2i + 1 (the Proxy Protocol nginx's health-check port, the NLB's second endpoint), so every one of those is
 * checked free, not just the first: blocks below the ephemeral range, where outgoing connections (HAProxy's, the
 * clients') do not take ports.
 */
export const appAndNginxPorts = (instances: number): Promise<number[]> => freeBlocks([instances, 2 * instances])

/** A start that failed because a port was taken after it was found free (another test file): worth a retry. */
export const isPortClash = (error: unknown): boolean =>
  /is in use|EADDRINUSE|cannot bind socket/.test((error as Error).message)

export interface Stack {
  state: LocalState
  stateDir: string
  https: number
  http: number
  app: number
  nginx: number
  down: () => Promise<void>
}

/** The more options of `ebws local up` (load balancer type, instances, stickiness, Redis). */
export type UpExtra = Pick<LocalUpOptions, 'loadBalancer' | 'instances' | 'stickiness' | 'redis'>

/** `ebws local up` on free ports and a temporary state directory. */
export async function up(mode: LayoutMode, nginx = false, extra: UpExtra = {}): Promise<Stack> {
  // Free ports are only free until someone binds them: test files run concurrently, so a port found free can be
  // taken before the stack binds it. `localUp` refuses a port in use before starting anything; then try new ports.
  // Instances use the ports after --app-port and --nginx-port too; a clash there is retried the same way.
  for (let attempt = 1; ; attempt++) {
    const [https, http, redisPort] = (await freePorts(3)) as [number, number, number]
    const [app, nginxPort] = (await appAndNginxPorts(extra.instances ?? 1)) as [number, number]
    const stateDir = tempDir(`ebws-e2e-${mode}-`)
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
        ...extra,
        ...(extra.redis ? {redisPort} : {}),
      })
      return {
        state,
        stateDir,
        https,
        http,
        app,
        nginx: nginxPort,
        down: async () => {
          await localDown(stateDir)
          rmSync(stateDir, {recursive: true, force: true})
        },
      }
    } catch (error) {
      rmSync(stateDir, {recursive: true, force: true})
      // A port taken between localUp's check and the bind (another test file) fails the start: retry that too.
      if (attempt >= 5 || !isPortClash(error)) throw error
    }
  }
}

export interface Response {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request, redirects not followed; `client` binds the client end to another loopback address. */
export function get(
  url: string,
  options: {headers?: Record<string, string>; method?: string; client?: string; body?: string} = {},
): Promise<Response> {
  const u = new URL(url)
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? 'GET',
        headers: {host: u.host, ...options.headers},
        rejectUnauthorized: false,
        servername: 'localhost',
        agent: false,
        ...(options.client ? {localAddress: options.client} : {}),
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body}))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A Socket.io client like the sample page's, over https to the emulated load balancer. */
export function connectClient(
  port: number,
  transports: ('websocket' | 'polling')[],
  client?: string,
  options: {reconnection?: boolean} = {},
): Promise<Socket> {
  const agent = new HttpsAgent({rejectUnauthorized: false, ...(client ? {localAddress: client} : {})})
  const socket = io(`https://localhost:${port}`, {
    transports,
    tryAllTransports: true,
    reconnection: options.reconnection ?? false,
    timeout: 5000,
    agent: agent as never,
    forceNew: true,
    rejectUnauthorized: false,
    extraHeaders: {origin: `https://localhost:${port}`},
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => {
      socket.close()
      reject(err)
    })
  })
}

export const emit = <T>(socket: Socket, event: string, ...args: unknown[]): Promise<T> =>
  socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>
