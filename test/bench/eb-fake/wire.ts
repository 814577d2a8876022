// The Elastic Beanstalk Query protocol, both ways: flattened form parameters in, XML out.
// Request shape: https://docs.aws.amazon.com/elasticbeanstalk/latest/api/Query-Requests.html
// Lists are `Name.member.N`, structures `Name.member.N.Field`; an empty list may be sent as `Name=`.

import {randomUUID} from 'node:crypto'

export const EB_XMLNS = 'http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/'

/** The flat form parameters of one request, with typed readers for the shapes EB uses. */
export class QueryParams {
  readonly raw: ReadonlyMap<string, string>

  constructor(body: string) {
    const map = new Map<string, string>()
    for (const [k, v] of new URLSearchParams(body)) map.set(k, v)
    this.raw = map
  }

  str(name: string): string | undefined {
    return this.raw.get(name)
  }

  bool(name: string): boolean | undefined {
    const v = this.raw.get(name)
    return v === undefined ? undefined : v === 'true'
  }

  int(name: string): number | undefined {
    const v = this.raw.get(name)
    return v === undefined || v === '' ? undefined : Number(v)
  }

  /** `Name.member.1`, `Name.member.2`, ... in order. */
  list(name: string): string[] | undefined {
    const out: string[] = []
    for (let i = 1; ; i++) {
      const v = this.raw.get(`${name}.member.${i}`)
      if (v === undefined) break
      out.push(v)
    }
    if (out.length > 0) return out
    return this.raw.has(name) ? [] : undefined
  }

  /** `Name.member.N.Field` structures, with every field the request gave. */
  structList(name: string): Array<Record<string, string>> | undefined {
    const out: Array<Record<string, string>> = []
    for (let i = 1; ; i++) {
      const prefix = `${name}.member.${i}.`
      const item: Record<string, string> = {}
      let found = false
      for (const [k, v] of this.raw) {
        if (k.startsWith(prefix)) {
          item[k.slice(prefix.length)] = v
          found = true
        }
      }
      if (!found) break
      out.push(item)
    }
    if (out.length > 0) return out
    return this.raw.has(name) ? [] : undefined
  }

  /** `Name.Field` of a single structure. */
  struct(name: string): Record<string, string> | undefined {
    const prefix = `${name}.`
    const out: Record<string, string> = {}
    let found = false
    for (const [k, v] of this.raw) {
      if (k.startsWith(prefix)) {
        out[k.slice(prefix.length)] = v
        found = true
      }
    }
    return found ? out : undefined
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.raw)
  }
}

/** An XML value tree: a string/number/boolean/Date leaf, a list (rendered as `<member>`s), or a structure. */
export type XmlValue = string | number | boolean | Date | undefined | null | XmlValue[] | {[key: string]: XmlValue}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** ISO 8601 with milliseconds, as EB sends its timestamps (e.g. 2024-05-01T10:11:12.345Z). */
export function isoDate(d: Date): string {
  return d.toISOString()
}

function renderValue(v: XmlValue): string {
  if (v === undefined || v === null) return ''
  if (v instanceof Date) return escapeXml(isoDate(v))
  if (Array.isArray(v)) return v.map((m) => `<member>${renderValue(m)}</member>`).join('')
  if (typeof v === 'object') return renderFields(v)
  return escapeXml(String(v))
}

function renderFields(o: {[key: string]: XmlValue}): string {
  let out = ''
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue // absent members are omitted, as AWS does
    out += `<${k}>${renderValue(v)}</${k}>`
  }
  return out
}

export function successXml(action: string, result: {[key: string]: XmlValue} | undefined, requestId: string): string {
  const body = result === undefined ? '' : `<${action}Result>${renderFields(result)}</${action}Result>`
  return (
    `<${action}Response xmlns="${EB_XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  )
}

export function errorXml(
  code: string,
  message: string,
  requestId: string,
  type: 'Sender' | 'Receiver' = 'Sender',
): string {
  return (
    `<ErrorResponse xmlns="${EB_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  )
}

export function newRequestId(): string {
  return randomUUID()
}

/** An error the service returns: code, message and HTTP status as on the real service. */
export class EbError extends Error {
  readonly code: string
  readonly status: number
  constructor(code: string, message: string, status = 400) {
    super(message)
    this.code = code
    this.status = status
  }
}

export const invalidParameterValue = (message: string): EbError => new EbError('InvalidParameterValue', message)

/** Missing required member, in the wording AWS's Coral-based Query services use. */
export function missingParameter(member: string): EbError {
  const lower = member.charAt(0).toLowerCase() + member.slice(1)
  return new EbError(
    'ValidationError',
    `1 validation error detected: Value null at '${lower}' failed to satisfy constraint: Member must not be null`,
  )
}
