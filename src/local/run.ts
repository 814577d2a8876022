import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {badInput, EbwsError} from '../cli/errors.ts'
import {shellWord} from '../format/shell.ts'
import type {Listener} from '../elb/model.ts'
import {isSecure} from '../elb/model.ts'
import {PACKAGE_ROOT} from '../package-root.ts'
import {DEFAULT_PORTS, type LayoutMode, targetListeners, usesProxyProtocol} from '../listeners/modes.ts'
import {ensureLocalCertificate} from './certificate.ts'
import {
  albHaproxyConfig,
  haproxyConfig,
  type LoadBalancerType,
  type LocalBackend,
  nlbHaproxyConfig,
  STICKY_COOKIE,
} from './haproxy.ts'
import {redirectSupport, type RedirectSupport, websocketPasses} from './layout.ts'
import {buildLocalNginx, nginxArgs} from './nginx.ts'
import {pingRedis, redisConfig, redisDataDir} from './redis.ts'
import {
  isOurs,
  portAcceptsConnections,
  portIsFree,
  type StartedProcess,
  startDetached,
  stopProcess,
  tailOf,
  waitForPort,
  which,
} from './processes.ts'

export const SAMPLE_APP_DIR = join(PACKAGE_ROOT, 'sample-app')
/**
 * Node flags the sample app runs with, as its package.json `start` script (what Beanstalk runs) gives them: a young
 * generation capped at 2 x 8 MiB, which Node's default lets grow to ~70 MiB of RSS under a burst of connections
 * (bench/socketio.ts --memory).
 */
export const SAMPLE_APP_NODE_FLAGS = ['--max-semi-space-size=8']
export const DEFAULT_STATE_DIR = '.ebws-local'

export interface LocalUpOptions {
  mode: LayoutMode
  /** Local stand-ins for the load balancer's 443 and 80. */
  httpsPort: number
  httpPort: number
  /** 'sample' starts the sample app on appPort; 'external' uses the app already listening there. */
  app: 'sample' | 'external'
  appPort: number
  /** Put nginx with the shipped .platform config between the load balancer and the app, on nginxPort. */
  nginx: boolean
  nginxPort: number
  idleTimeoutSeconds: number
  allowedHosts: string[]
  stateDir: string
  /** Seam for copying a real environment: its listeners and proxy-protocol ports instead of the mode's. */
  listeners?: Listener[]
  proxyProtocolInstancePorts?: number[]
  startTimeoutMs?: number
  /** Which load balancer to emulate (default classic). */
  loadBalancer?: LoadBalancerType
  /** App processes behind the load balancer (default 1): instance i listens on appPort + i - 1. */
  instances?: number
  /** Load balancer cookie stickiness (CLB: HTTP/HTTPS listeners only; ALB: the target group). */
  stickiness?: boolean
  /** Start a real redis-server on redisPort and give the instances REDIS_URL. */
  redis?: boolean
  redisPort?: number
  /** Test seam: rewrites the generated HAProxy configuration, to build deliberately broken layouts (doctor's e2e tests). */
  editHaproxyConfig?: (config: string) => string
}

export interface LocalInstance {
  id: string
  /** Where the app listens. */
  port: number
  /** What the load balancer connects to for this instance (the app, nginx, or the NLB instance endpoints). */
  backendPorts: number[]
}

export interface LocalState {
  version: 1
  startedAt: string
  mode: LayoutMode
  urls: {https: string; http: string}
  listeners: Listener[]
  proxyProtocolInstancePorts: number[]
  ports: {https: number; http: number; app: number; nginx?: number; redis?: number}
  app: 'sample' | 'external'
  loadBalancer?: LoadBalancerType
  instances?: LocalInstance[]
  stickiness?: {cookie: string} | null
  redis?: {url: string; dir: string} | null
  processes: StartedProcess[]
  redirect: RedirectSupport
  websocket: boolean
  notes: string[]
}

const statePath = (dir: string) => join(dir, 'state.json')

export function readState(stateDir: string): LocalState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(stateDir), 'utf8')) as LocalState
  } catch {
    return undefined
  }
}

const INSTALL_HINTS: Record<string, string[]> = {
  haproxy: ['Debian/Ubuntu: sudo apt-get install haproxy', 'macOS: brew install haproxy'],
  nginx: ['Debian/Ubuntu: sudo apt-get install nginx', 'macOS: brew install nginx', 'Or run without --nginx.'],
  openssl: ['Debian/Ubuntu: sudo apt-get install openssl', 'macOS: brew install openssl'],
  'redis-server': [
    'Debian/Ubuntu: sudo apt-get install redis-server',
    'macOS: brew install redis',
    'Or run without --redis.',
  ],
}

function requireProgram(name: string): string {
  const path =
    which(name) ??
    [`/usr/sbin/${name}`, `/usr/local/sbin/${name}`, `/usr/bin/${name}`, `/usr/local/bin/${name}`].find((p) =>
      existsSync(p),
    )
  if (!path)
    throw badInput(
      'TOOL_MISSING',
      `${name} is not installed; \`ebws local\` runs a real ${name} on this machine.`,
      INSTALL_HINTS[name] ?? [],
    )
  return path
}

/** What the layout means for the user, printed by `up` and `status`. */
function layoutNotes(
  mode: LayoutMode,
  redirect: RedirectSupport,
  websocket: boolean,
  options: LocalUpOptions,
  proxy: boolean,
): string[] {
  const notes: string[] = []
  const lb = options.loadBalancer ?? 'classic'
  const instances = options.instances ?? 1
  if (!redirect.possible) notes.push(`HTTP -> HTTPS redirect is impossible with these listeners: ${redirect.how}`)
  if (!websocket) {
    notes.push('CLB HTTP/HTTPS listeners do not pass WebSocket upgrades: Socket.io falls back to long-polling here.')
    if (!options.stickiness)
      notes.push('With several instances, polling needs sticky sessions; prefer the websocket layout (SSL -> TCP).')
  }
  if (proxy && options.app === 'external' && !options.nginx && lb === 'classic') {
    notes.push(
      'Every connection to your app starts with a PROXY v1 line: read it (acceptProxyProtocol from ebws) or add --nginx.',
    )
  }
  if (mode === 'websocket' && lb === 'classic')
    notes.push('Requests through the SSL listener carry no X-Forwarded-Proto: the app treats that as https.')
  if (lb === 'network')
    notes.push(
      'NLB: TCP pass-through; TLS ends on each instance (its nginx), which sets X-Forwarded-Proto from the port.',
    )
  if (instances > 1 && !options.redis)
    notes.push(`${instances} instances without --redis: broadcasts reach only clients on the same instance.`)
  return notes
}

/** Listeners shown for the ALB and NLB layouts (in CLB terms: protocol, port, instance protocol and port). */
function elbv2Listeners(lb: 'application' | 'network'): Listener[] {
  return lb === 'application'
    ? [
        {loadBalancerPort: 443, protocol: 'HTTPS', instancePort: 80, instanceProtocol: 'HTTP', policyNames: []},
        {loadBalancerPort: 80, protocol: 'HTTP', instancePort: 80, instanceProtocol: 'HTTP', policyNames: []},
      ]
    : [
        {loadBalancerPort: 443, protocol: 'TCP', instancePort: 443, instanceProtocol: 'TCP', policyNames: []},
        {loadBalancerPort: 80, protocol: 'TCP', instancePort: 80, instanceProtocol: 'TCP', policyNames: []},
      ]
}

/** Checks the combination of flags before anything starts (exit 2, nothing started). */
function checkUpInput(
  options: LocalUpOptions,
  lb: LoadBalancerType,
  instances: number,
  listeners: readonly Listener[],
): void {
  if (!Number.isInteger(instances) || instances < 1 || instances > 16)
    throw badInput('BAD_FLAG', `--instances must be 1 to 16, got ${instances}.`)
  if (options.app === 'external' && instances > 1)
    throw badInput('BAD_FLAG', '--instances needs the sample app: with --app external there is one app, yours.')
  if (options.app === 'external' && options.redis)
    throw badInput('BAD_FLAG', '--redis sets REDIS_URL for the sample app; with --app external, start your own Redis.')
  if (lb === 'application' && options.mode === 'proxy') {
    throw badInput(
      'BAD_FLAG',
      'An Application Load Balancer has no Proxy Protocol: use --lb network --mode proxy (PROXY v2) or --lb classic --mode proxy.',
    )
  }
  if (lb === 'network' && options.nginx)
    throw badInput(
      'BAD_FLAG',
      "--nginx is for --lb classic|application; with --lb network each instance's TLS endpoint stands in for nginx.",
    )
  if (lb === 'network' && options.stickiness)
    throw badInput(
      'BAD_FLAG',
      'A Network Load Balancer has no cookie stickiness (TCP pass-through): omit --stickiness.',
    )
  if (lb === 'classic' && options.stickiness && !listeners.some((l) => l.protocol === 'HTTPS')) {
    throw badInput(
      'BAD_FLAG',
      'CLB cookie stickiness needs an HTTPS listener (an SSL/TCP one cannot carry a cookie): use --mode http, or --lb application.',
    )
  }
}

/**
 * Starts the app (or uses yours) on one or more instances, optionally redis-server and nginx with the shipped config,
 * and HAProxy configured like the CLB, ALB or NLB. Leaves them running, recorded in <stateDir>/state.json for `down`
 * and `status`.
 */
/** The `ebws local down` that stops what was started in `stateDir` (its folder named unless it is the default). */
export const localDownCommand = (stateDir: string): string =>
  `ebws local down${stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${shellWord(resolve(stateDir))}`}`

export async function localUp(options: LocalUpOptions): Promise<LocalState> {
  const stateDir = resolve(options.stateDir)
  const previous = readState(stateDir)
  if (previous && previous.processes.some((p) => isOurs(p))) {
    throw badInput(
      'LOCAL_ALREADY_RUNNING',
      `ebws local is already running (started ${previous.startedAt}): ${previous.urls.https}`,
      [`Stop it first: ${localDownCommand(options.stateDir)}`],
    )
  }
  const lb = options.loadBalancer ?? 'classic'
  const count = options.instances ?? 1
  const listeners =
    lb === 'classic' ? (options.listeners ?? targetListeners(options.mode, DEFAULT_PORTS)) : elbv2Listeners(lb)
  checkUpInput(options, lb, count, listeners)
  const haproxy = requireProgram('haproxy')
  const nginx = options.nginx ? requireProgram('nginx') : undefined
  const openssl = requireProgram('openssl')
  const redisServer = options.redis ? requireProgram('redis-server') : undefined

  const ppPorts =
    lb === 'application'
      ? []
      : lb === 'network'
        ? options.mode === 'proxy'
          ? [443, 80]
          : []
        : (options.proxyProtocolInstancePorts ?? (usesProxyProtocol(options.mode) ? [DEFAULT_PORTS.instancePort] : []))
  const proxy = ppPorts.length > 0

  // Local ports: the first secure listener on --https-port, the first plain one on --http-port, others +8000.
  const localPorts = new Map<number, number>()
  const secure = listeners.find((l) => isSecure(l.protocol) || (lb === 'network' && l.loadBalancerPort === 443))
  const plain = listeners.find((l) => l !== secure)
  for (const l of listeners) {
    localPorts.set(
      l.loadBalancerPort,
      l === secure ? options.httpsPort : l === plain ? options.httpPort : l.loadBalancerPort + 8000,
    )
  }
  // Instance i: the app on appPort + i; nginx (or the NLB's per-instance endpoints) on nginxPort + 2i and + 2i + 1.
  const instances: LocalInstance[] = Array.from({length: count}, (_, i) => ({
    id: count === 1 ? 'app' : `app-${i + 1}`,
    port: options.appPort + i,
    backendPorts:
      lb === 'network'
        ? [options.nginxPort + 2 * i, options.nginxPort + 2 * i + 1]
        : [options.nginx ? options.nginxPort + 2 * i : options.appPort + i],
  }))
  const redisPort = options.redisPort ?? 6380
  const wanted = [
    ...[...localPorts.values()].map((port) => ({port, what: 'load balancer listener'})),
    ...(options.app === 'sample'
      ? instances.map((inst) => ({
          port: inst.port,
          what: `sample app ${inst.id} (--app-port + ${inst.port - options.appPort})`,
        }))
      : []),
    ...(options.nginx
      ? instances.flatMap((inst) => [
          {port: inst.backendPorts[0]!, what: `nginx of ${inst.id} (--nginx-port)`},
          ...(proxy ? [{port: inst.backendPorts[0]! + 1, what: 'nginx health-check port'}] : []),
        ])
      : []),
    ...(lb === 'network'
      ? instances.flatMap((inst) =>
          inst.backendPorts.map((port) => ({port, what: `instance endpoint of ${inst.id} (--nginx-port)`})),
        )
      : []),
    ...(options.redis ? [{port: redisPort, what: 'redis-server (--redis-port)'}] : []),
  ]
  for (const {port, what} of wanted) {
    if (!(await portIsFree(port)))
      throw badInput('PORT_IN_USE', `Port ${port} (${what}) is in use on 127.0.0.1.`, [
        'Pick other ports with the port flags, or stop what uses it.',
      ])
  }
  if (options.app === 'external' && !(await portAcceptsConnections(options.appPort))) {
    throw badInput('APP_NOT_LISTENING', `Nothing listens on 127.0.0.1:${options.appPort}.`, [
      'Start your app first, or omit --app external to run the sample app.',
    ])
  }

  mkdirSync(stateDir, {recursive: true})
  const cert = ensureLocalCertificate(join(stateDir, 'tls'), openssl)
  const servers: LocalBackend[] = instances.map((inst) => ({host: '127.0.0.1', port: inst.backendPorts[0]!}))
  const cfgPath = join(stateDir, 'haproxy.cfg')
  const common = {
    idleTimeoutSeconds: options.idleTimeoutSeconds,
    certificatePem: cert.pemPath,
    httpsPort: options.httpsPort,
    httpPort: options.httpPort,
  }
  writeFileSync(
    cfgPath,
    lb === 'application'
      ? albHaproxyConfig({...common, instances: servers, stickiness: options.stickiness ?? false})
      : lb === 'network'
        ? nlbHaproxyConfig({
            ...common,
            instances: instances.map((inst) => ({host: '127.0.0.1', port: inst.port})),
            instanceEndpoints: instances.map((inst) => ({tls: inst.backendPorts[0]!, plain: inst.backendPorts[1]!})),
            proxyProtocolV2: proxy,
          })
        : haproxyConfig({
            listeners,
            idleTimeoutSeconds: options.idleTimeoutSeconds,
            proxyProtocolInstancePorts: ppPorts,
            localPorts,
            backends: new Map(listeners.map((l) => [l.instancePort, servers])),
            certificatePem: cert.pemPath,
            stickiness: options.stickiness ?? false,
          }),
  )
  if (options.editHaproxyConfig) writeFileSync(cfgPath, options.editHaproxyConfig(readFileSync(cfgPath, 'utf8')))
  try {
    execFileSync(haproxy, ['-c', '-q', '-f', cfgPath], {stdio: 'pipe'})
  } catch (err) {
    throw new EbwsError(
      'LOCAL_START_FAILED',
      `HAProxy rejected the generated configuration ${cfgPath}: ${String((err as {stderr?: Buffer}).stderr ?? err).trim()}`,
    )
  }

  const redirect: RedirectSupport =
    lb === 'application'
      ? {possible: true, how: 'HTTP:80 answers 301 to https at the load balancer (redirect action)'}
      : lb === 'network'
        ? {
            possible: true,
            how: proxy
              ? 'PROXY v2 destination port 80, read by the instance endpoint'
              : "TCP:80 reaches the instance's plain port 80, which sets X-Forwarded-Proto: http",
          }
        : redirectSupport(listeners, ppPorts)
  const websocket = lb === 'classic' ? websocketPasses(listeners) : true
  const https = `https://localhost:${options.httpsPort}/`
  const redisUrl = options.redis ? `redis://127.0.0.1:${redisPort}` : undefined
  const state: LocalState = {
    version: 1,
    startedAt: new Date().toISOString(),
    mode: options.mode,
    urls: {https, http: `http://localhost:${options.httpPort}/`},
    listeners,
    proxyProtocolInstancePorts: ppPorts,
    ports: {
      https: options.httpsPort,
      http: options.httpPort,
      app: options.appPort,
      ...(options.nginx ? {nginx: options.nginxPort} : {}),
      ...(options.redis ? {redis: redisPort} : {}),
    },
    app: options.app,
    loadBalancer: lb,
    instances,
    stickiness: options.stickiness && lb !== 'network' ? {cookie: STICKY_COOKIE[lb]} : null,
    redis: redisUrl ? {url: redisUrl, dir: redisDataDir(stateDir)} : null,
    processes: [],
    redirect,
    websocket,
    notes: layoutNotes(options.mode, redirect, websocket, {...options, loadBalancer: lb, instances: count}, proxy),
  }
  const save = () => writeFileSync(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`)
  const timeout = options.startTimeoutMs ?? 15_000
  const start = async (
    name: string,
    command: string[],
    marker: string,
    ports: number[],
    extra: {env?: NodeJS.ProcessEnv; cwd?: string} = {},
  ) => {
    const proc = startDetached(name, command, {log: join(stateDir, `${name}.log`), marker, ...extra})
    state.processes.push(proc)
    save()
    try {
      for (const port of ports) await waitForPort(port, proc, timeout)
    } catch (err) {
      throw new EbwsError(
        'LOCAL_START_FAILED',
        `${name} did not start: ${(err as Error).message}\n${tailOf(proc.log)}`,
        {hint: [`See ${proc.log}`]},
      )
    }
  }

  try {
    if (redisServer) {
      const dir = redisDataDir(stateDir)
      mkdirSync(dir, {recursive: true})
      const conf = join(stateDir, 'redis.conf')
      writeFileSync(conf, redisConfig({port: redisPort, dir, configPath: conf}))
      await start('redis', [redisServer, conf], conf, [redisPort])
      if (!(await pingRedis(redisPort)))
        throw new EbwsError('LOCAL_START_FAILED', `redis-server on port ${redisPort} does not answer PING.`, {
          hint: [`See ${join(stateDir, 'redis.log')}`],
        })
    }
    if (options.app === 'sample') {
      // The build's bundle of sample-app/server.js with its dependencies (scripts/build-cli.ts): an installed ebws
      // has no node_modules for the sample app.
      const script = join(PACKAGE_ROOT, 'dist', 'sample-app', 'lib', 'server.cjs')
      // Instances start together (each waits only for its own port).
      await Promise.all(
        instances.map((inst) => {
          const env = {
            ...process.env,
            PORT: String(inst.port),
            HOST: '127.0.0.1',
            ALLOWED_HOSTS: options.allowedHosts.join(','),
            HTTPS_PORT: String(options.httpsPort),
            // Without nginx, the app reads the PROXY line itself (Beanstalk ProxyServer: none). Behind the NLB the
            // instance endpoint reads PROXY v2 and forwards plain HTTP.
            PROXY_PROTOCOL: proxy && !options.nginx && lb === 'classic' ? '1' : '0',
            INSTANCE_ID: inst.id,
            // What the app may believe of forwarding headers and PROXY lines (sample-app/README.md), and its timeouts.
            // Behind the NLB with PROXY v2, the instance endpoint reads it and sets the headers, as the shipped nginx does.
            EBWS_LB_LAYOUT: lb === 'application' ? 'alb' : lb === 'network' ? (proxy ? 'proxy' : 'nlb') : options.mode,
            IDLE_TIMEOUT: String(options.idleTimeoutSeconds),
            ...(redisUrl ? {REDIS_URL: redisUrl} : {}),
            // A stopped instance closes its clients at once locally (Beanstalk allows longer).
            DRAIN_TIMEOUT_MS: process.env.DRAIN_TIMEOUT_MS ?? '5000',
          }
          return start(inst.id, [process.execPath, ...SAMPLE_APP_NODE_FLAGS, script], script, [inst.port], {
            env,
            cwd: SAMPLE_APP_DIR,
          })
        }),
      )
    }
    if (nginx) {
      for (const [i, inst] of instances.entries()) {
        const prefix = join(stateDir, count === 1 ? 'nginx' : `nginx-${i + 1}`)
        rmSync(prefix, {recursive: true, force: true})
        const listenPort = inst.backendPorts[0]!
        buildLocalNginx({
          variant: proxy ? 'proxy-protocol' : 'default',
          prefix,
          listenPort,
          appPort: inst.port,
          healthPort: listenPort + 1,
        })
        await start(
          count === 1 ? 'nginx' : `nginx-${i + 1}`,
          [nginx, ...nginxArgs(prefix, ['-g', 'daemon off;'])],
          prefix,
          [listenPort],
        )
      }
    }
    await start('haproxy', [haproxy, '-db', '-f', cfgPath], cfgPath, [...localPorts.values()])
  } catch (err) {
    for (const proc of [...state.processes].reverse()) await stopProcess(proc)
    rmSync(statePath(stateDir), {force: true})
    throw err
  }
  return state
}

export interface LocalProcessStatus {
  name: string
  pid: number
  running: boolean
  log: string
}

export interface LocalStatus {
  running: boolean
  stateDir: string
  mode?: LayoutMode
  startedAt?: string
  urls?: {https: string; http: string}
  loadBalancer?: LoadBalancerType
  processes: LocalProcessStatus[]
  /** Every app instance behind the load balancer: its process and whether its port accepts connections. */
  instances: {id: string; port: number; pid?: number; running: boolean; accepting: boolean}[]
  ports: {port: number; role: string; accepting: boolean}[]
  redis?: {url: string; answering: boolean} | null
  stickiness?: {cookie: string} | null
  notes: string[]
}

export async function localStatus(stateDirOption: string): Promise<LocalStatus> {
  const stateDir = resolve(stateDirOption)
  const state = readState(stateDir)
  if (!state)
    return {
      running: false,
      stateDir,
      processes: [],
      instances: [],
      ports: [],
      notes: ['Nothing started by `ebws local up` here.'],
    }
  const processes = state.processes.map((p) => ({name: p.name, pid: p.pid, running: isOurs(p), log: p.log}))
  const roles: [number | undefined, string][] = [
    [state.ports.https, 'https listener'],
    [state.ports.http, 'http listener'],
    [state.ports.nginx, 'nginx'],
    [state.ports.redis, 'redis'],
  ]
  const ports = []
  for (const [port, role] of roles)
    if (port !== undefined) ports.push({port, role, accepting: await portAcceptsConnections(port)})
  // State files from before --instances have one app on ports.app.
  const recorded = state.instances ?? [{id: 'app', port: state.ports.app, backendPorts: []}]
  const instances = []
  for (const inst of recorded) {
    const proc = processes.find((p) => p.name === inst.id)
    instances.push({
      id: inst.id,
      port: inst.port,
      ...(proc ? {pid: proc.pid} : {}),
      running: proc?.running ?? state.app === 'external',
      accepting: await portAcceptsConnections(inst.port),
    })
  }
  return {
    running: processes.length > 0 && processes.every((p) => p.running),
    stateDir,
    mode: state.mode,
    startedAt: state.startedAt,
    urls: state.urls,
    loadBalancer: state.loadBalancer ?? 'classic',
    processes,
    instances,
    ports,
    redis: state.redis
      ? {url: state.redis.url, answering: await pingRedis(Number(new URL(state.redis.url).port))}
      : null,
    stickiness: state.stickiness ?? null,
    notes: state.notes,
  }
}

export interface LocalDownResult {
  stateDir: string
  stopped: {name: string; pid: number}[]
  alreadyGone: {name: string; pid: number}[]
}

/** Stops exactly the processes `up` recorded (checked to still be them), then forgets them. */
export async function localDown(stateDirOption: string): Promise<LocalDownResult> {
  const stateDir = resolve(stateDirOption)
  const state = readState(stateDir)
  const result: LocalDownResult = {stateDir, stopped: [], alreadyGone: []}
  if (!state) return result
  for (const proc of [...state.processes].reverse()) {
    const outcome = await stopProcess(proc)
    ;(outcome === 'stopped' ? result.stopped : result.alreadyGone).push({name: proc.name, pid: proc.pid})
  }
  rmSync(statePath(stateDir), {force: true})
  return result
}
