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
import {haproxyConfig, type LocalBackend} from './haproxy.ts'
import {redirectSupport, type RedirectSupport, websocketPasses} from './layout.ts'
import {buildLocalNginx, nginxArgs} from './nginx.ts'
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
}

export interface LocalState {
  version: 1
  startedAt: string
  mode: LayoutMode
  urls: {https: string; http: string}
  listeners: Listener[]
  proxyProtocolInstancePorts: number[]
  ports: {https: number; http: number; app: number; nginx?: number}
  app: 'sample' | 'external'
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
}

function requireProgram(name: string): string {
  const path = which(name) ?? [`/usr/sbin/${name}`, `/usr/local/sbin/${name}`].find((p) => existsSync(p))
  if (!path) throw badInput('TOOL_MISSING', `${name} is not installed; \`ebws local\` runs a real ${name} on this machine.`, INSTALL_HINTS[name] ?? [])
  return path
}

/** What the layout means for the user, printed by `up` and `status`. */
function layoutNotes(mode: LayoutMode, redirect: RedirectSupport, websocket: boolean, options: LocalUpOptions, proxy: boolean): string[] {
  const notes: string[] = []
  if (!redirect.possible) notes.push(`HTTP -> HTTPS redirect is impossible with these listeners: ${redirect.how}`)
  if (!websocket) {
    notes.push('CLB HTTP/HTTPS listeners do not pass WebSocket upgrades: Socket.io falls back to long-polling here.')
    notes.push('With several instances, polling needs sticky sessions; prefer the websocket layout (SSL -> TCP).')
  }
  if (proxy && options.app === 'external' && !options.nginx) {
    notes.push('Every connection to your app starts with a PROXY v1 line: read it (acceptProxyProtocol from ebws) or add --nginx.')
  }
  if (mode === 'websocket') notes.push('Requests through the SSL listener carry no X-Forwarded-Proto: the app treats that as https.')
  return notes
}

/**
 * Starts the app (or uses yours), optionally nginx with the shipped config, and HAProxy configured like the CLB.
 * Leaves them running, recorded in <stateDir>/state.json for `down` and `status`.
 */
/** The `ebws local down` that stops what was started in `stateDir` (its folder named unless it is the default). */
export const localDownCommand = (stateDir: string): string =>
  `ebws local down${stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${shellWord(resolve(stateDir))}`}`

export async function localUp(options: LocalUpOptions): Promise<LocalState> {
  const stateDir = resolve(options.stateDir)
  const previous = readState(stateDir)
  if (previous && previous.processes.some((p) => isOurs(p))) {
    throw badInput('LOCAL_ALREADY_RUNNING', `ebws local is already running (started ${previous.startedAt}): ${previous.urls.https}`, [`Stop it first: ${localDownCommand(options.stateDir)}`])
  }
  const haproxy = requireProgram('haproxy')
  const nginx = options.nginx ? requireProgram('nginx') : undefined
  const openssl = requireProgram('openssl')

  const listeners = options.listeners ?? targetListeners(options.mode, DEFAULT_PORTS)
  const ppPorts = options.proxyProtocolInstancePorts ?? (usesProxyProtocol(options.mode) ? [DEFAULT_PORTS.instancePort] : [])
  const proxy = ppPorts.length > 0

  // Local ports: the first secure listener on --https-port, the first plain one on --http-port, others +8000.
  const localPorts = new Map<number, number>()
  const secure = listeners.find((l) => isSecure(l.protocol))
  const plain = listeners.find((l) => !isSecure(l.protocol))
  for (const l of listeners) {
    localPorts.set(l.loadBalancerPort, l === secure ? options.httpsPort : l === plain ? options.httpPort : l.loadBalancerPort + 8000)
  }
  const healthPort = options.nginxPort + 1
  const wanted = [
    ...[...localPorts.values()].map((port) => ({port, what: 'load balancer listener'})),
    ...(options.app === 'sample' ? [{port: options.appPort, what: 'sample app (--app-port)'}] : []),
    ...(options.nginx ? [{port: options.nginxPort, what: 'nginx (--nginx-port)'}, ...(proxy ? [{port: healthPort, what: 'nginx health-check port'}] : [])] : []),
  ]
  for (const {port, what} of wanted) {
    if (!(await portIsFree(port))) throw badInput('PORT_IN_USE', `Port ${port} (${what}) is in use on 127.0.0.1.`, ['Pick other ports with the port flags, or stop what uses it.'])
  }
  if (options.app === 'external' && !(await portAcceptsConnections(options.appPort))) {
    throw badInput('APP_NOT_LISTENING', `Nothing listens on 127.0.0.1:${options.appPort}.`, ['Start your app first, or omit --app external to run the sample app.'])
  }

  mkdirSync(stateDir, {recursive: true})
  const cert = ensureLocalCertificate(join(stateDir, 'tls'), openssl)
  const backend: LocalBackend = {host: '127.0.0.1', port: options.nginx ? options.nginxPort : options.appPort}
  const backends = new Map(listeners.map((l) => [l.instancePort, backend]))
  const cfgPath = join(stateDir, 'haproxy.cfg')
  writeFileSync(
    cfgPath,
    haproxyConfig({listeners, idleTimeoutSeconds: options.idleTimeoutSeconds, proxyProtocolInstancePorts: ppPorts, localPorts, backends, certificatePem: cert.pemPath}),
  )
  try {
    execFileSync(haproxy, ['-c', '-q', '-f', cfgPath], {stdio: 'pipe'})
  } catch (err) {
    throw new EbwsError('LOCAL_START_FAILED', `HAProxy rejected the generated configuration ${cfgPath}: ${String((err as {stderr?: Buffer}).stderr ?? err).trim()}`)
  }

  const redirect = redirectSupport(listeners, ppPorts)
  const websocket = websocketPasses(listeners)
  const https = `https://localhost:${options.httpsPort}/`
  const state: LocalState = {
    version: 1,
    startedAt: new Date().toISOString(),
    mode: options.mode,
    urls: {https, http: `http://localhost:${options.httpPort}/`},
    listeners,
    proxyProtocolInstancePorts: ppPorts,
    ports: {https: options.httpsPort, http: options.httpPort, app: options.appPort, ...(options.nginx ? {nginx: options.nginxPort} : {})},
    app: options.app,
    processes: [],
    redirect,
    websocket,
    notes: layoutNotes(options.mode, redirect, websocket, options, proxy),
  }
  const save = () => writeFileSync(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`)
  const timeout = options.startTimeoutMs ?? 15_000
  const start = async (name: string, command: string[], marker: string, ports: number[], extra: {env?: NodeJS.ProcessEnv; cwd?: string} = {}) => {
    const proc = startDetached(name, command, {log: join(stateDir, `${name}.log`), marker, ...extra})
    state.processes.push(proc)
    save()
    try {
      for (const port of ports) await waitForPort(port, proc, timeout)
    } catch (err) {
      throw new EbwsError('LOCAL_START_FAILED', `${name} did not start: ${(err as Error).message}\n${tailOf(proc.log)}`, {hint: [`See ${proc.log}`]})
    }
  }

  try {
    if (options.app === 'sample') {
      // The build's bundle of sample-app/server.js with its dependencies (scripts/build-cli.ts): an installed ebws
      // has no node_modules for the sample app.
      const script = join(PACKAGE_ROOT, 'dist', 'sample-app', 'lib', 'server.cjs')
      const env = {
        ...process.env,
        PORT: String(options.appPort),
        HOST: '127.0.0.1',
        ALLOWED_HOSTS: options.allowedHosts.join(','),
        HTTPS_PORT: String(options.httpsPort),
        // Without nginx, the app reads the PROXY line itself (Beanstalk ProxyServer: none).
        PROXY_PROTOCOL: proxy && !options.nginx ? '1' : '0',
      }
      await start('app', [process.execPath, script], script, [options.appPort], {env, cwd: SAMPLE_APP_DIR})
    }
    if (nginx) {
      const prefix = join(stateDir, 'nginx')
      rmSync(prefix, {recursive: true, force: true})
      buildLocalNginx({variant: proxy ? 'proxy-protocol' : 'default', prefix, listenPort: options.nginxPort, appPort: options.appPort, healthPort})
      await start('nginx', [nginx, ...nginxArgs(prefix, ['-g', 'daemon off;'])], prefix, [options.nginxPort])
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
  processes: LocalProcessStatus[]
  ports: {port: number; role: string; accepting: boolean}[]
  notes: string[]
}

export async function localStatus(stateDirOption: string): Promise<LocalStatus> {
  const stateDir = resolve(stateDirOption)
  const state = readState(stateDir)
  if (!state) return {running: false, stateDir, processes: [], ports: [], notes: ['Nothing started by `ebws local up` here.']}
  const processes = state.processes.map((p) => ({name: p.name, pid: p.pid, running: isOurs(p), log: p.log}))
  const roles: [number | undefined, string][] = [
    [state.ports.https, 'https listener'],
    [state.ports.http, 'http listener'],
    [state.ports.nginx, 'nginx'],
    [state.ports.app, 'app'],
  ]
  const ports = []
  for (const [port, role] of roles) if (port !== undefined) ports.push({port, role, accepting: await portAcceptsConnections(port)})
  return {
    running: processes.length > 0 && processes.every((p) => p.running),
    stateDir,
    mode: state.mode,
    startedAt: state.startedAt,
    urls: state.urls,
    processes,
    ports,
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
