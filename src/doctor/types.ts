import type {LookupFunction} from 'node:net'

/** The checks `ebws doctor` runs, in the order they are printed (and listed in --json). */
export const CHECK_IDS = [
  'dns',
  'redirect',
  'tls',
  'hsts',
  'socketio-polling',
  'socketio-websocket',
  'stickiness',
  'mixed-content',
  'idle-timeout',
  'proxy-protocol',
] as const

export type CheckId = (typeof CHECK_IDS)[number]
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

/** One verdict: what was seen (one line) and, unless it passed, what to do (an ebws command that runs as printed, or the config change). */
export interface Check {
  id: CheckId
  status: CheckStatus
  evidence: string
  fix: string | null
}

export interface DoctorResult {
  checks: Check[]
}

/** What is probed, and what is known about it; built by target.ts from a URL, an environment or `ebws local`. */
export interface DoctorTarget {
  /** https://host[:port]/ as a browser would open it. */
  url: URL
  host: string
  httpsPort: number
  /** Port the redirect check asks http:// on. */
  httpPort: number
  /** Extra trusted CA certificates (PEM), e.g. --ca or the local emulation's self-signed certificate. */
  ca: string[]
  caSource?: string | undefined
  healthPath?: string | undefined
  /** N polling sessions for the stickiness check (0: skipped). */
  sessions: number
  /** How long to hold a silent WebSocket (0: skipped). */
  idleProbeMs: number
  /** When set, DNS must point at this environment (its CNAME or its load balancer's DNS name). */
  environment?: {name: string; cname?: string | undefined; endpoint?: string | undefined} | undefined
  /** How fix commands address the environment: `-e NAME`, or nothing (EBWS_ENVIRONMENT / the eb CLI default). */
  fixEnvironment?: string | undefined
  /** Set for `--local`: fixes name the `ebws local up` command that gives a working layout. */
  local?: {localUpArgs: string[]} | undefined
  /**
   * The load balancer type in front, when known (`--local`: the emulated one; `-e`: the LoadBalancerType setting).
   * Unknown for a bare URL: checks then speak of the CLB, whose listeners are the ones that strip upgrades.
   */
  loadBalancer?: LoadBalancerType | undefined
}

export type LoadBalancerType = 'classic' | 'application' | 'network'

/** Shared by the checks of one run: the bound on each network step and the addresses DNS gave. */
export interface ProbeContext {
  target: DoctorTarget
  stepTimeoutMs: number
  /** Resolves the target host to the addresses the DNS check found (browsers connect to what DNS answers). */
  lookup?: LookupFunction | undefined
  /** Memoizes probes shared by several checks (e.g. GET https://host/), so each runs once per doctor run. */
  once<T>(key: string, run: () => Promise<T>): Promise<T>
}

export const check = (id: CheckId, status: CheckStatus, evidence: string, fix: string | null = null): Check => ({
  id,
  status,
  evidence,
  fix,
})
