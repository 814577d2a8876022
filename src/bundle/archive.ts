/**
 * Checks a prebuilt `--archive FILE.zip`: a minimal central-directory reader (APPNOTE 4.3.12–16), no dependency.
 * The checks are those a folder bundle gets: layout, .ebextensions, size, secrets by name and by content (every
 * file entry is streamed through inflate once to look for PEM private keys, 64 KiB at a time), symlinks that would
 * point outside the app once extracted, and platform hooks without the executable bit (a folder bundle fixes that
 * bit in the zip it writes; an archive cannot be fixed, so it is refused).
 */
import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import {posix} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {PassThrough} from 'node:stream'
import {crc32, createInflateRaw, inflateRawSync} from 'node:zlib'
import {badInput} from '../cli/errors.ts'
import type {SecretFinding} from './secrets.ts'
import {findSecrets, looksLikePrivateKey, normaliseAllowed, PEM_OVERLAP} from './secrets.ts'
import {isHookPath} from './write.ts'
import type {BundleEntry, ValidateOptions, ValidationReport} from './validate.ts'
import {validateEntries} from './validate.ts'
import {METHOD_DEFLATE, METHOD_STORE, S_IFDIR, S_IFLNK} from './zip-format.ts'

export interface ArchiveEntry extends BundleEntry {
  /** The name exactly as stored. */
  rawName: string
  /** Unix mode when the archive was made on Unix, else undefined. */
  mode: number | undefined
  method: number
  size: number
  compressedSize: number
  crc32: number
  encrypted: boolean
  /** Offset of the local header. */
  offset: number
}

export interface ArchiveInspection extends ValidationReport {
  path: string
  sizeBytes: number
  entries: ArchiveEntry[]
  /** Secrets found (refused by the caller with SECRET_IN_BUNDLE), after --allow-secret. */
  secrets: SecretFinding[]
}

export interface ArchiveOptions extends ValidateOptions {
  allowSecret?: readonly string[] | undefined
  /** Symlink entries allowed to point outside the app once extracted (--allow-link-outside). */
  allowLinkOutside?: readonly string[] | undefined
}

const EOCD_SIG = 0x06054b50
const ZIP64_LOCATOR_SIG = 0x07064b50
const ZIP64_EOCD_SIG = 0x06064b50
const CENTRAL_SIG = 0x02014b50

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  const {bytesRead} = await fh.read(buf, 0, length, position)
  if (bytesRead !== length) throw new Error('unexpected end of file')
  return buf
}

/** Reads the central directory. Throws a plain Error when the file is not a readable zip. */
export async function readCentralDirectory(fh: FileHandle, fileSize: number): Promise<ArchiveEntry[]> {
  const tailLength = Math.min(fileSize, 22 + 0xffff)
  const tail = await readAt(fh, fileSize - tailLength, tailLength)
  let eocd = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('no end-of-central-directory record: not a zip file, or truncated')
  let count: number = tail.readUInt16LE(eocd + 10)
  let cdSize: number = tail.readUInt32LE(eocd + 12)
  let cdOffset: number = tail.readUInt32LE(eocd + 16)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = eocd - 20
    if (locAt < 0 || tail.readUInt32LE(locAt) !== ZIP64_LOCATOR_SIG) throw new Error('ZIP64 locator missing')
    const rec = await readAt(fh, Number(tail.readBigUInt64LE(locAt + 8)), 56)
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new Error('ZIP64 end record missing')
    count = Number(rec.readBigUInt64LE(32))
    cdSize = Number(rec.readBigUInt64LE(40))
    cdOffset = Number(rec.readBigUInt64LE(48))
  }
  if (cdOffset + cdSize > fileSize) throw new Error('central directory lies past the end of the file')
  const cd = await readAt(fh, cdOffset, cdSize)
  const entries: ArchiveEntry[] = []
  let p = 0
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG)
      throw new Error(`central directory entry ${n + 1} is corrupt`)
    const madeBy = cd.readUInt16LE(p + 4) >> 8
    const flags = cd.readUInt16LE(p + 8)
    const method = cd.readUInt16LE(p + 10)
    const crc = cd.readUInt32LE(p + 16)
    let compressedSize: number = cd.readUInt32LE(p + 20)
    let size: number = cd.readUInt32LE(p + 24)
    const nameLen = cd.readUInt16LE(p + 28)
    const extraLen = cd.readUInt16LE(p + 30)
    const commentLen = cd.readUInt16LE(p + 32)
    const external = cd.readUInt32LE(p + 38)
    let offset: number = cd.readUInt32LE(p + 42)
    const nameBuf = cd.subarray(p + 46, p + 46 + nameLen)
    const rawName = nameBuf.toString(flags & 0x0800 ? 'utf8' : 'latin1')
    // ZIP64 extended information (header 0x0001) holds the fields stored as 0xffffffff, in this order.
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen)
    for (let q = 0; q + 4 <= extra.length;) {
      const id = extra.readUInt16LE(q)
      const len = extra.readUInt16LE(q + 2)
      if (id === 0x0001) {
        let r = q + 4
        if (size === 0xffffffff) {
          size = Number(extra.readBigUInt64LE(r))
          r += 8
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(extra.readBigUInt64LE(r))
          r += 8
        }
        if (offset === 0xffffffff) offset = Number(extra.readBigUInt64LE(r))
      }
      q += 4 + len
    }
    const mode = madeBy === 3 ? external >>> 16 : undefined
    const isDir =
      rawName.endsWith('/') || (mode !== undefined ? (mode & 0o170000) === S_IFDIR : (external & 0x10) !== 0)
    const isLink = mode !== undefined && (mode & 0o170000) === S_IFLNK
    entries.push({
      path: rawName.replace(/\/+$/, ''),
      rawName,
      kind: isDir ? 'directory' : isLink ? 'symlink' : 'file',
      mode,
      method,
      size,
      compressedSize,
      crc32: crc,
      encrypted: (flags & 1) !== 0,
      offset,
    })
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/** Reads and checks one entry's data. */
export async function readEntry(fh: FileHandle, entry: ArchiveEntry): Promise<Buffer> {
  const local = await readAt(fh, entry.offset, 30)
  if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${entry.rawName}: bad local header`)
  const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
  const raw = await readAt(fh, start, entry.compressedSize)
  let data: Buffer
  if (entry.method === METHOD_STORE) data = raw
  else if (entry.method === METHOD_DEFLATE) data = inflateRawSync(raw)
  else throw new Error(`${entry.rawName}: unsupported compression method ${entry.method}`)
  if (crc32(data) >>> 0 !== entry.crc32) throw new Error(`${entry.rawName}: CRC mismatch, the archive is corrupt`)
  return data
}

/** Whether a file entry's data holds a PEM private key, streamed so a large entry costs 64 KiB at a time. */
export async function entryHoldsPrivateKey(zipPath: string, fh: FileHandle, entry: ArchiveEntry): Promise<boolean> {
  if (entry.compressedSize === 0 || (entry.method !== METHOD_STORE && entry.method !== METHOD_DEFLATE)) return false
  const local = await readAt(fh, entry.offset, 30)
  const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
  let tail = Buffer.alloc(0)
  let found = false
  await pipeline(
    createReadStream(zipPath, {start, end: start + entry.compressedSize - 1, highWaterMark: 64 * 1024}),
    entry.method === METHOD_DEFLATE ? createInflateRaw() : new PassThrough(),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        if (found) continue
        found = looksLikePrivateKey(tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk)
        tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - PEM_OVERLAP)))
      }
    },
  )
  return found
}

/** Whether a symlink entry, extracted at the app root, points inside the app (relative, never above the root). */
export function linkLandsInside(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false
  const lands = posix.normalize(posix.join(posix.dirname(linkPath), target))
  return lands !== '..' && !lands.startsWith('../')
}

/**
 * Hooks must be executable (platforms-linux-extend.hooks.html): an entry without Unix mode (a zip made on Windows)
 * or without an x bit is extracted non-executable, and the platform fails the deployment on it.
 */
export function checkHooks(entries: readonly ArchiveEntry[]): string[] {
  return entries
    .filter((e) => e.kind === 'file' && isHookPath(e.path) && (e.mode === undefined || (e.mode & 0o111) === 0))
    .map(
      (e) =>
        `${e.path} is a platform hook but not executable in the archive (${e.mode === undefined ? 'no Unix mode' : `mode ${(e.mode & 0o777).toString(8)}`}): the platform would fail the deployment on it (chmod +x it and zip again with Info-ZIP, or let ebws bundle the folder)`,
    )
}

/** Layout problems that make Beanstalk deploy a broken app. */
export function checkLayout(entries: readonly ArchiveEntry[]): string[] {
  const problems: string[] = []
  for (const e of entries) {
    if (e.rawName.includes('\\')) {
      problems.push(
        `"${e.rawName}" uses backslashes: Linux instances would create a file with "\\" in its name (zip it with "/" separators, e.g. with ebws or Info-ZIP)`,
      )
    } else if (e.rawName.startsWith('/') || e.rawName.split('/').includes('..')) {
      problems.push(`"${e.rawName}" points outside the app folder (absolute path or "..")`)
    }
    if (e.encrypted) problems.push(`"${e.rawName}" is encrypted: Beanstalk cannot extract it`)
  }
  // Beanstalk extracts the zip as the app root: "Not include a parent folder or top-level directory"
  // https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/applications-sourcebundle.html
  const meaningful = entries.filter((e) => !e.rawName.startsWith('__MACOSX/') && e.path !== '')
  const tops = new Set(meaningful.map((e) => e.path.split('/')[0]))
  const rootFiles = meaningful.filter((e) => !e.path.includes('/') && e.kind !== 'directory')
  if (tops.size === 1 && rootFiles.length === 0 && meaningful.length > 0) {
    const top = [...tops][0]!
    problems.push(
      `Everything in the archive is inside the folder "${top}/": Beanstalk needs the app at the root of the zip (zip the folder's contents, not the folder)`,
    )
  }
  return problems
}

/**
 * Inspects and validates a prebuilt archive. Throws bad input when the file can't be read as a zip; everything else
 * comes back as errors and warnings.
 */
export async function inspectArchive(zipPath: string, options: ArchiveOptions = {}): Promise<ArchiveInspection> {
  let fh: FileHandle
  try {
    fh = await open(zipPath, 'r')
  } catch (err) {
    throw badInput('FILE_NOT_FOUND', `Cannot open the archive ${zipPath}: ${(err as Error).message}`)
  }
  try {
    const {size} = await fh.stat()
    let entries: ArchiveEntry[]
    try {
      entries = await readCentralDirectory(fh, size)
    } catch (err) {
      throw badInput('BUNDLE_INVALID', `${zipPath} is not a readable zip archive: ${(err as Error).message}`, [
        'Build the bundle with `ebws deploy` from the app folder instead of --archive',
      ])
    }
    const byPath = new Map(entries.map((e) => [e.path, e]))
    const report = await validateEntries(
      entries,
      async (path) => {
        try {
          return (await readEntry(fh, byPath.get(path)!)).toString('utf8')
        } catch (err) {
          throw badInput('BUNDLE_INVALID', `${zipPath}: cannot read ${path}: ${(err as Error).message}`)
        }
      },
      {...options, sizeBytes: size},
    )
    const layout = checkLayout(entries).map((message) => ({code: 'archive-layout' as const, message}))
    const hooks = checkHooks(entries).map((message) => ({code: 'hook-mode' as const, message}))
    const readText = async (path: string) => (await readEntry(fh, byPath.get(path)!)).toString('utf8')
    const privateKeyFiles: string[] = []
    for (const e of entries) {
      if (e.kind === 'file' && !e.encrypted && (await entryHoldsPrivateKey(zipPath, fh, e).catch(() => false)))
        privateKeyFiles.push(e.path)
    }
    const secrets = await findSecrets(entries, readText, {allowSecret: options.allowSecret, privateKeyFiles})
    const allowLinks = (options.allowLinkOutside ?? []).map(normaliseAllowed)
    for (const e of entries) {
      if (e.kind !== 'symlink' || allowLinks.includes(e.path)) continue
      const target = (await readEntry(fh, e)).toString('utf8')
      if (!linkLandsInside(e.path, target))
        secrets.push({
          path: e.path,
          reason: `a symlink to ${target}, outside the app once extracted (--allow-link-outside to keep it)`,
        })
    }
    return {
      path: zipPath,
      sizeBytes: size,
      entries,
      secrets,
      errors: [...layout, ...hooks, ...report.errors],
      warnings: report.warnings,
    }
  } finally {
    await fh.close()
  }
}
