import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {badInput} from '../cli/errors.ts'
import {DEFAULT_STATE_DIR, readState} from '../local/run.ts'
import type {DoctorTarget} from './types.ts'

export interface TargetInput {
  url?: string | undefined
  /** --http-port, when given. */
  httpPort?: number | undefined
  caFile?: string | undefined
  sessions?: number | undefined
  idleProbeMs?: number | undefined
  healthPath?: string | undefined
}

/** A URL as typed: `app.example.com`, `https://app.example.com/`, `http://localhost:8080`. */
export function parseTargetUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw badInput('BAD_FLAG', `"${text}" is not a URL.`, [
      'Give the address a browser would open, e.g. https://app.example.com/',
    ])
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw badInput('BAD_FLAG', `doctor probes http(s) URLs, not ${url.protocol}//.`, [
      'Give the address a browser would open, e.g. https://app.example.com/',
    ])
  if (url.username || url.password) throw badInput('BAD_FLAG', 'The URL must not carry credentials.')
  return url
}

function readCa(file: string | undefined): string[] {
  if (!file) return []
  let pem: string
  try {
    pem = readFileSync(file, 'utf8')
  } catch {
    throw badInput('FILE_NOT_FOUND', `--ca ${file}: no such file.`)
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw badInput('BAD_FLAG', `--ca ${file} holds no PEM certificate.`)
  return [pem]
}

function checkHealthPath(path: string | undefined): string | undefined {
  if (path !== undefined && !path.startsWith('/'))
    throw badInput('BAD_FLAG', `--health-path must start with / (got "${path}").`)
  return path
}

/**
 * What to probe for a URL. An http:// URL means: redirect-check that port (unless --http-port), probe https on 443.
 * The URL's own path is not used: doctor probes /, /socket.io/ and a probe path of its own.
 */
export function targetFromUrl(
  text: string,
  input: TargetInput,
  extra: Pick<DoctorTarget, 'environment' | 'fixEnvironment' | 'loadBalancer'> = {},
): DoctorTarget {
  const parsed = parseTargetUrl(text)
  const plain = parsed.protocol === 'http:'
  const httpsPort = plain ? 443 : Number(parsed.port || 443)
  const httpPort = input.httpPort ?? (plain ? Number(parsed.port || 80) : 80)
  const url = new URL(`https://${parsed.hostname}${httpsPort === 443 ? '' : `:${httpsPort}`}/`)
  return {
    url,
    host: parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase(),
    httpsPort,
    httpPort,
    ca: readCa(input.caFile),
    caSource: input.caFile ? `--ca ${input.caFile}` : undefined,
    healthPath: checkHealthPath(input.healthPath),
    sessions: input.sessions ?? 0,
    idleProbeMs: input.idleProbeMs ?? 0,
    ...extra,
  }
}

/**
 * `--local`: what `ebws local up` runs, from its state file (read only): its https URL and http port, its
 * self-signed certificate as the trusted CA, the sample app's health path, and the flags to restart it with.
 */
export function targetFromLocal(stateDirOption: string, input: TargetInput): DoctorTarget {
  const stateDir = resolve(stateDirOption)
  const state = readState(stateDir)
  if (!state)
    throw badInput('FILE_NOT_FOUND', `Nothing started by \`ebws local up\` in ${stateDir}.`, [
      'Start it first: ebws local up',
      'Or point doctor at a URL: ebws doctor https://app.example.com/',
    ])
  // src/local/run.ts makes the certificate in <stateDir>/tls (certificate.ts: localhost.crt).
  const caFile = input.caFile ?? join(stateDir, 'tls', 'localhost.crt')
  const lb = state.loadBalancer ?? 'classic'
  const instances = state.instances?.length ?? 1
  // NLB instance endpoints sit on --nginx-port (and + 1) without nginx: keep that port so the restart binds the same.
  const nlbPort = lb === 'network' ? state.instances?.[0]?.backendPorts[0] : undefined
  const args = [
    `--local-https-port ${state.ports.https}`,
    `--local-http-port ${state.ports.http}`,
    `--app-port ${state.ports.app}`,
    ...(state.app === 'external' ? ['--app external'] : []),
    ...(state.ports.nginx !== undefined ? ['--nginx', `--nginx-port ${state.ports.nginx}`] : []),
    ...(nlbPort !== undefined ? [`--nginx-port ${nlbPort}`] : []),
    ...(lb === 'classic' ? [] : [`--lb ${lb}`]),
    ...(instances > 1 ? [`--instances ${instances}`] : []),
    ...(state.stickiness ? ['--stickiness'] : []),
    ...(state.redis ? ['--redis', `--redis-port ${new URL(state.redis.url).port}`] : []),
    `--mode ${state.mode}`,
    ...(stateDirOption !== DEFAULT_STATE_DIR ? [`--state-dir ${stateDirOption}`] : []),
  ].flatMap((a) => a.split(' '))
  const target = targetFromUrl(state.urls.https, {
    ...input,
    caFile,
    httpPort: input.httpPort ?? state.ports.http,
    healthPath: input.healthPath ?? (state.app === 'sample' ? '/healthz' : undefined),
  })
  return {
    ...target,
    caSource: input.caFile ? `--ca ${input.caFile}` : "ebws local's certificate",
    local: {localUpArgs: args},
    loadBalancer: lb,
  }
}
