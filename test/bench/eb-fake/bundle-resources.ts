// Reads a source bundle's .ebextensions/*.config files and returns the `Resources` override of the port-80 ALB
// listener, AWSEBV2LoadBalancerListener, if one sets DefaultActions. Beanstalk merges an .ebextensions `Resources`
// key into the environment's CloudFormation template, so such an override survives environment updates:
// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environment-resources.html
// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/configuring-https-httpredirect.html
import {inflateRawSync} from 'node:zlib'

import type {Action} from '@aws-sdk/client-elastic-load-balancing-v2'
import {parse} from 'yaml'

/** Files of a zip archive (stored or deflated entries), by name. Enough for bundles the tests build. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  let eocd = zip.length - 22
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) throw new Error('not a zip archive')
  const count = zip.readUInt16LE(eocd + 10)
  let p = zip.readUInt32LE(eocd + 16)
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(p + 10)
    const size = zip.readUInt32LE(p + 20)
    const nameLen = zip.readUInt16LE(p + 28)
    const extraLen = zip.readUInt16LE(p + 30)
    const commentLen = zip.readUInt16LE(p + 32)
    const local = zip.readUInt32LE(p + 42)
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(dataStart, dataStart + size)
    if (!name.endsWith('/')) files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data))
    p += 46 + nameLen + extraLen + commentLen
  }
  return files
}

export function listenerOverrideOf(zip: Buffer): Action[] | undefined {
  let found: Action[] | undefined
  for (const [name, body] of unzip(zip)) {
    if (!/^\.ebextensions\/[^/]+\.config$/.test(name)) continue
    const doc = parse(body.toString('utf8')) as {
      Resources?: Record<string, {Properties?: {DefaultActions?: Action[]}}>
    } | null
    const actions = doc?.Resources?.AWSEBV2LoadBalancerListener?.Properties?.DefaultActions
    if (Array.isArray(actions)) found = actions.map(normalizeAction)
  }
  return found
}

/** CloudFormation's action shape to the ELBv2 API's (the port is a string in the API). */
function normalizeAction(a: Action): Action {
  if (a.RedirectConfig)
    return {
      ...a,
      RedirectConfig: {
        ...a.RedirectConfig,
        Port: a.RedirectConfig.Port === undefined ? undefined : String(a.RedirectConfig.Port),
      },
    }
  return a
}
