/**
 * `ebws bundle`: prepareBundle into --output, and the listing CI reads (path, size, mode). With a target (--lb, or
 * -e ENV read as deploy reads it) a folder for a dedicated ALB gets the port-80 redirect override deploy would ship.
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {AwsClients} from '../aws/clients.ts'
import type {
  BundleListenerOverride,
  RedirectOverrideStatus,
  RedirectOverrideTarget,
} from '../lb/application/bundle-override.ts'
import {
  decideRedirectOverride,
  redirectOverrideHook,
  redirectOverrideTarget,
} from '../lb/application/bundle-override.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import type {LoadBalancerType} from '../lb/types.ts'
import {freeNow} from './deflate.ts'
import {prepareBundle} from './index.ts'
import type {PrepareInput} from './index.ts'

export interface BundleCommandResult {
  path: string
  sizeBytes: number
  /** sha256 of the zip file. */
  sha256: string
  /** The content hash `ebws deploy` stores in the version's description. */
  contentHash: string
  entryCount: number
  entries: Array<{path: string; kind: 'file' | 'symlink' | 'directory'; size: number; mode: string}>
  /**
   * With --lb or -e: the target's load balancer and what became of the ALB port-80 redirect override (added:
   * ebws put .ebextensions/ebws-alb-redirect.config in the zip; see `ebws deploy --help`).
   */
  loadBalancer?:
    {type: 'classic' | 'application' | 'network' | 'none'; redirectOverride: RedirectOverrideStatus} | undefined
  notices: string[]
  warnings: string[]
}

/** Who the bundle is for: a type given with --lb (an ALB's port 80 taken to redirect, as `listeners fix` sets it), or an environment read live. */
export type BundleTarget = {lb: LoadBalancerType} | {environmentName: string; clients: AwsClients}

const octals = new Map<number, string>()
/** The permission bits as 4 octal digits (`0644`, `0755`, `0777` for links): one string per mode, not per entry. */
const octal = (mode: number | undefined): string => {
  const bits = (mode ?? 0o644) & 0o7777
  let s = octals.get(bits)
  if (s === undefined) octals.set(bits, (s = bits.toString(8).padStart(4, '0')))
  return s
}

export async function writeAppBundle(
  input: Omit<PrepareInput, 'archive' | 'extraEntries'> & {
    output: string
    target?: BundleTarget | undefined
    /** --redirect-override (default true). */
    redirectOverride?: boolean | undefined
  },
): Promise<BundleCommandResult> {
  const out = resolve(input.output)
  const target = input.target
  const workDir = target ? await mkdtemp(join(tmpdir(), 'ebws-bundle-')) : undefined
  try {
    const name = target && 'environmentName' in target ? target.environmentName : 'ENV'
    let known: Promise<RedirectOverrideTarget> | undefined
    const readTarget = (): Promise<RedirectOverrideTarget> =>
      (known ??= !target
        ? Promise.resolve({loadBalancerType: 'none', shared: false})
        : 'lb' in target
          ? Promise.resolve({loadBalancerType: target.lb, shared: false, liveRedirect: target.lb === 'application'})
          : firstRoundTrip(target.clients, target.environmentName).then((f) =>
              redirectOverrideTarget(target.clients, f.environment),
            ))
    let own: BundleListenerOverride | undefined
    const enabled = input.redirectOverride ?? true
    const b = await prepareBundle(
      {
        ...input,
        archive: undefined,
        extraEntries:
          target && workDir
            ? redirectOverrideHook({
                environmentName: name,
                enabled,
                workDir,
                target: readTarget,
                seen: (o) => (own = o),
              })
            : undefined,
      },
      out,
    )
    const warnings = [...b.warnings]
    let loadBalancer: BundleCommandResult['loadBalancer']
    if (target && own) {
      const t = await readTarget()
      const d = decideRedirectOverride({environmentName: name, target: t, bundle: own, enabled, archive: false})
      if (d.warning)
        warnings.push(d.warning.replace('this environment update', 'an environment update with this bundle'))
      loadBalancer = {type: t.loadBalancerType, redirectOverride: d.status}
    }
    return {
      path: b.file,
      sizeBytes: b.sizeBytes,
      sha256: b.sha256,
      contentHash: b.contentHash,
      entryCount: b.entries.length,
      entries: b.entries.map((e) => ({path: e.path, kind: e.kind, size: e.size, mode: octal(e.mode)})),
      ...(loadBalancer ? {loadBalancer} : {}),
      notices: b.notices,
      warnings,
    }
  } finally {
    if (workDir) await rm(workDir, {recursive: true, force: true})
  }
}

/**
 * The listing as text: a line per entry (mode, size, path), then the zip's. Written into one buffer and decoded
 * once: a string per line (and its padding and template pieces) for 20,000 entries held ~5 MiB of heap until the
 * join, the last peak of `ebws bundle` on the text tree of bench/bundle.ts.
 */
export function formatBundleResult(r: BundleCommandResult): string {
  let width = 4
  let bytes = 0
  for (const e of r.entries) {
    width = Math.max(width, String(e.size).length)
    bytes += Buffer.byteLength(e.path, 'utf8') + 4 + 1 + 2 + 10 + 1 // mode, spaces, ' (symlink)', '\n'
  }
  bytes += r.entries.length * width
  // allocUnsafeSlow: a buffer of its own (freeNow detaches it; a pooled slice would take the pool with it).
  const buf = Buffer.allocUnsafeSlow(Math.max(1, bytes))
  let at = 0
  for (const e of r.entries) {
    const size = String(e.size)
    at += buf.write(e.mode, at, 'latin1')
    const pad = 1 + width - size.length
    buf.fill(0x20, at, at + pad)
    at += pad
    at += buf.write(size, at, 'latin1')
    buf.fill(0x20, at, at + 2)
    at += 2
    at += buf.write(e.path, at, 'utf8')
    if (e.kind !== 'file') at += buf.write(e.kind === 'directory' ? '/' : ' (symlink)', at, 'latin1')
    buf[at++] = 0x0a
  }
  const lines = [`${r.path}: ${r.entryCount} entries, ${r.sizeBytes} bytes, sha256 ${r.sha256}`]
  if (r.loadBalancer?.redirectOverride === 'added')
    lines.push(
      'Added .ebextensions/ebws-alb-redirect.config: the override that keeps the ALB port-80 redirect across environment updates.',
    )
  const text = buf.toString('utf8', 0, at) + lines.join('\n')
  freeNow(buf)
  return text
}
