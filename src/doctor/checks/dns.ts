import {lookup as dnsLookup, Resolver} from 'node:dns/promises'
import {isIP, type LookupFunction} from 'node:net'

import {check, type Check, type DoctorTarget} from '../types.ts'

export interface DnsOutcome {
  check: Check
  /** The addresses found, handed to every other check so they connect where DNS pointed (as a browser does). */
  addresses: {address: string; family: number}[]
}

/** Resolves or rejects within `ms` (getaddrinfo cannot be cancelled; the late answer is ignored). */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what}: no answer within ${ms / 1000} s`), {code: 'ETIMEDOUT'})),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The CNAME chain of a name (at most 8 links), through a resolver bounded like every other step. */
async function cnameChain(host: string, timeoutMs: number): Promise<string[]> {
  const resolver = new Resolver({timeout: Math.min(timeoutMs, 2000), tries: 1})
  const chain: string[] = []
  let name = host
  for (let i = 0; i < 8; i++) {
    const next = await within(timeoutMs, 'CNAME lookup', resolver.resolveCname(name)).catch(() => [] as string[])
    if (next.length === 0) break
    name = next[0]!.replace(/\.$/, '').toLowerCase()
    chain.push(name)
  }
  return chain
}

const lower = (s: string | undefined) => s?.replace(/\.$/, '').toLowerCase()

/** dns: the host resolves (as the OS resolver answers a browser); with -e, to that environment. */
export async function dnsCheck(target: DoctorTarget, timeoutMs: number): Promise<DnsOutcome> {
  const host = target.host
  if (isIP(host) !== 0)
    return {
      check: check('dns', 'pass', `${host} is an IP address (nothing to resolve)`),
      addresses: [{address: host, family: isIP(host)}],
    }
  let addresses: {address: string; family: number}[]
  try {
    addresses = await within(timeoutMs, `${host}`, dnsLookup(host, {all: true}))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOTFOUND'
        ? 'does not resolve (NXDOMAIN or no address records)'
        : code === 'ETIMEDOUT'
          ? `got no DNS answer within ${timeoutMs / 1000} s`
          : `failed to resolve (${code ?? String(err)})`
    const fix = target.environment?.cname
      ? `Create a DNS record for ${host}: CNAME ${target.environment.cname} (or an alias to the load balancer).`
      : `Create the DNS record for ${host}, or check the spelling of the URL.`
    return {
      check: check(
        'dns',
        'fail',
        `${host} ${why}`,
        host === lower(target.environment?.cname)
          ? `The environment's CNAME ${host} does not resolve: check that the environment exists and is not terminated.`
          : fix,
      ),
      addresses: [],
    }
  }
  const list = addresses.map((a) => a.address).join(', ')
  const environment = target.environment
  if (!environment?.cname && !environment?.endpoint)
    return {check: check('dns', 'pass', `${host} resolves to ${list}`), addresses}

  // With -e: the host must be (or lead to) the environment's CNAME or its load balancer.
  const names = [environment.cname, environment.endpoint].map(lower).filter((n): n is string => Boolean(n))
  if (names.includes(host.toLowerCase()))
    return {
      check: check('dns', 'pass', `${host} is environment ${environment.name}'s own name; resolves to ${list}`),
      addresses,
    }
  const chain = await cnameChain(host, timeoutMs)
  const via = chain.find((n) => names.includes(n))
  if (via)
    return {
      check: check(
        'dns',
        'pass',
        `${host} -> ${chain.join(' -> ')} (environment ${environment.name}); resolves to ${list}`,
      ),
      addresses,
    }
  const theirs = (
    await Promise.all(names.map((n) => within(timeoutMs, n, dnsLookup(n, {all: true})).catch(() => [])))
  ).flat()
  const overlap = addresses.some((a) => theirs.some((b) => b.address === a.address))
  if (overlap)
    return {
      check: check('dns', 'pass', `${host} resolves to ${list}, addresses of environment ${environment.name}`),
      addresses,
    }
  return {
    check: check(
      'dns',
      'fail',
      `${host} resolves to ${list}${chain.length ? ` (via ${chain.join(' -> ')})` : ''}, not to environment ${environment.name} (${names.join(', ')}${theirs.length ? ` = ${theirs.map((a) => a.address).join(', ')}` : ''})`,
      `Point ${host} at the environment: a CNAME record to ${names[0]} (or an alias to its load balancer).`,
    ),
    addresses,
  }
}

/** A lookup for node:net/tls/http that answers with the addresses the DNS check found. */
export function fixedLookup(addresses: {address: string; family: number}[]): LookupFunction | undefined {
  if (addresses.length === 0) return undefined
  return ((
    _host: string,
    options: {all?: boolean; family?: number | string},
    callback: (...args: unknown[]) => void,
  ) => {
    const wanted =
      options.family === 6 || options.family === 'IPv6' ? 6 : options.family === 4 || options.family === 'IPv4' ? 4 : 0
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted)
    const list = usable.length > 0 ? usable : addresses
    if (options.all) callback(null, list)
    else callback(null, list[0]!.address, list[0]!.family)
  }) as LookupFunction
}
