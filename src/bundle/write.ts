/**
 * Writes the deterministic source bundle zip.
 *
 * Determinism: entries in the order collectBundleFiles sorted them, one fixed timestamp (zip-format.ts), modes
 * reduced to 0644/0755 (files), 0755 (folders), 0777 (links), no extra fields, and the store-or-deflate choice made
 * from the bytes alone. The same tree gives the same bytes on any machine, in any time zone, whatever the mtimes.
 *
 * Speed: files are read, checksummed and deflated in batches of consecutive entries by lanes: this thread is one (it
 * runs a batch whenever the next entry to write is not ready yet), worker threads the others (availableParallelism
 * lanes in all, at most 8; a tree of one batch starts no worker). Only this thread writes, in entry order. Files
 * above `inlineLimit` are streamed by this thread.
 *
 * Memory: bounded by bytes, not by files. `memoryBudget` (default DEFAULT_MEMORY_BUDGET, 32 MiB) caps the bytes in
 * flight, counted in units of batchBytes (budget / 16): each lane's read buffer (one per lane, reused for every
 * file, at most inlineLimit ≤ batchBytes) and the out buffers, pooled here and lent to a lane for one batch (to a
 * worker by transfer, and back with its reply), then held until that batch's entries are written. A batch reads at
 * most batchBytes of content and hands the rest of its files back unread; its output is at most what it read. The
 * batch that holds the next entry to write may take the last buffer the budget allows; the others leave it free, so
 * the writer always makes progress. Files over batchBytes are streamed (64 KiB reads through zlib), so a 1 GiB file
 * costs a few hundred KiB, whatever the budget. The stream and write buffers take STREAM_RESERVE off the budget.
 * No buffer is made per file (deflate-worker.ts), so the garbage a file leaves is small and young.
 */
import {createReadStream} from 'node:fs'
import {open, rm} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {availableParallelism} from 'node:os'
import {join, resolve} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {PassThrough} from 'node:stream'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'
import {crc32, createDeflateRaw} from 'node:zlib'
import {badInput, EbwsError} from '../cli/errors.ts'
import {IN_CLI_BUNDLE, PACKAGE_ROOT} from '../package-root.ts'
import type {BundleFile} from './collect.ts'
import {BatchProcessor} from './deflate-worker.ts'
import {gcEvery} from './gc.ts'
import {looksLikePrivateKey, PEM_OVERLAP} from './secrets.ts'
import type {WorkerJob, WorkerReply, WorkerResult} from './worker-protocol.ts'
import {DEFLATE_WORKER} from './worker-protocol.ts'
import {
  centralHeader,
  endRecords,
  LOCAL_HEADER_CRC_OFFSET,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
} from './zip-format.ts'
import type {ZipEntryMeta} from './zip-format.ts'

/**
 * Beanstalk's source bundle limit: "Not exceed 500 MB" in the current guide, 512 MB in older editions.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/applications-sourcebundle.html
 * We use 512 MiB as the issue states; CreateApplicationVersion is the final judge.
 */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024

/**
 * zlib level 4, not zip's 6: on a 124 MB, 20,000-file Node app it needs ~43% less deflate CPU than level 6 for a
 * 2.4% larger deflate stream, and the zip stays smaller than `zip -qr`'s (55.9 vs 57.4 MB: we write no extra
 * fields). Deflate is nearly all of the bundling CPU, and a few extra MB cost far less to upload than the CPU saved.
 */
export const DEFAULT_LEVEL = 4

export interface WriteOptions {
  /** zlib level 0–9 (0 stores everything). Default DEFAULT_LEVEL. */
  level?: number
  /** Lanes: this thread and concurrency - 1 worker threads. Default: the available parallelism (at most 8). */
  concurrency?: number
  /** Give up once the zip grows past this many bytes. Default MAX_BUNDLE_BYTES. */
  maxBytes?: number
  /** Files larger than this are streamed rather than read whole. Default (and at most): the batch size. */
  inlineLimit?: number
  /** Bytes in flight (read, being compressed, waiting to be written). Default DEFAULT_MEMORY_BUDGET. */
  memoryBudget?: number
  onProgress?: (progress: {entriesWritten: number; entries: number; bytesWritten: number}) => void
}

export interface WriteResult {
  path: string
  sizeBytes: number
  /** sha256 of the zip file. */
  sha256: string
  /** sha256 of the sorted (path, mode, content) stream: names the app version whatever the zip settings. */
  contentHash: string
  entries: number
  uncompressedBytes: number
  /** Platform hook files whose source was not executable; the zip marks them executable anyway. */
  madeExecutable: string[]
  /** Files whose content holds a PEM private key (streamed files are scanned too). */
  privateKeyFiles: string[]
  /** Every entry as written, in zip order. */
  written: WrittenEntry[]
  /** The most bytes the writer had in flight by its own accounting (at most memoryBudget). */
  peakBytesInFlight: number
  /** The most file content one worker batch read (at most the batch size, budget / 16). */
  largestBatchReadBytes: number
}

export interface WrittenEntry {
  path: string
  kind: BundleFile['kind']
  /** Full Unix mode, type bits included. */
  mode: number
  size: number
  compressedSize: number
}

export const DEFAULT_MEMORY_BUDGET = 32 * 1024 * 1024
/** Write buffer (FLUSH_BYTES) plus a streamed file's read and zlib buffers. */
const STREAM_RESERVE = (1 << 20) + 256 * 1024
/** The smallest budget that still lets batches of 64 KiB through. */
const MIN_MEMORY_BUDGET = STREAM_RESERVE + 16 * 64 * 1024

/** Extensions whose content is already compressed: deflating them costs time and saves nothing. */
const STORED_EXTENSIONS = new Set(
  'png jpg jpeg gif webp avif ico woff woff2 gz tgz zip br zst xz bz2 7z mp3 mp4 m4a webm ogg mov jar war'.split(' '),
)
const shouldStore = (path: string): boolean => {
  const dot = path.lastIndexOf('.')
  return dot > path.lastIndexOf('/') && STORED_EXTENSIONS.has(path.slice(dot + 1).toLowerCase())
}

/**
 * Hooks must be executable or the platform skips them with a permission error:
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-linux-extend.hooks.html
 */
export const isHookPath = (path: string): boolean => /^\.platform\/(hooks|confighooks)\/./.test(path)

/** The mode stored for an entry: only the "is it executable" bit of the source survives. */
export function entryMode(
  file: Pick<BundleFile, 'kind' | 'path'>,
  sourceMode = 0o644,
): {mode: number; madeExecutable: boolean} {
  if (file.kind === 'directory') return {mode: S_IFDIR | 0o755, madeExecutable: false}
  if (file.kind === 'symlink') return {mode: S_IFLNK | 0o777, madeExecutable: false}
  const executable = (sourceMode & 0o111) !== 0
  if (isHookPath(file.path)) return {mode: S_IFREG | 0o755, madeExecutable: !executable}
  return {mode: S_IFREG | (executable ? 0o755 : 0o644), madeExecutable: false}
}

const BATCH_FILES = 64
/** Streamed bytes between two collections on the main thread (gc.ts): each 64 KiB read and its zlib output. */
const STREAM_GC_EVERY_BYTES = 8 * 1024 * 1024
const FLUSH_BYTES = 1 << 20

// Beside this module in source and tsc output; the bundled CLI (dist/cli/ebws.js and its chunks) has it beside itself.
const workerUrl = IN_CLI_BUNDLE
  ? pathToFileURL(join(PACKAGE_ROOT, 'dist', 'cli', 'deflate-worker.js'))
  : new URL(import.meta.url.endsWith('.ts') ? './deflate-worker.ts' : './deflate-worker.js', import.meta.url)

/** A processed file: its output is `data` (a view of a pooled buffer), or it is streamed by the writer (large). */
type Done =
  | {result: Extract<WorkerResult, {sha256: string}>; data: Buffer; buffer: PooledBuffer}
  | {large: true; sourceMode: number}

/** One of the writer's out buffers, lent to a lane for one batch and held until that batch's entries are written. */
interface PooledBuffer {
  ab: ArrayBuffer
  /** Entries of the batch not written yet. */
  pending: number
}

interface Job {
  files: WorkerJob['files']
}

export async function writeBundle(
  files: readonly BundleFile[],
  outFile: string,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const level = options.level ?? DEFAULT_LEVEL
  const maxBytes = Math.min(options.maxBytes ?? MAX_BUNDLE_BYTES, 0xfffffff0)
  const budget = Math.max(options.memoryBudget ?? DEFAULT_MEMORY_BUDGET, MIN_MEMORY_BUDGET)
  const batchBytes = Math.floor((budget - STREAM_RESERVE) / 16)
  const inlineLimit = Math.min(options.inlineLimit ?? batchBytes, batchBytes)
  const path = resolve(outFile)
  const fileIndexes = files.flatMap((f, i) => (f.kind === 'file' ? [i] : []))
  // Lanes: this thread is one (it processes batches while it waits for one), the others are worker threads. A tree
  // of one batch starts no worker at all.
  const lanes = Math.max(
    1,
    Math.min(options.concurrency ?? availableParallelism(), 8, Math.ceil(fileIndexes.length / BATCH_FILES)),
  )
  // The budget in batchBytes units: each lane's read buffer (at most inlineLimit ≤ batchBytes), and the out buffers.
  // Within it, two batches a lane and two being written keep every lane busy; more only lets this thread run ahead of
  // a slow worker, holding memory for nothing.
  const maxBuffers = Math.min(16 - lanes, 2 * lanes + 2)

  // The queue stays in entry order: a batch's unread rest goes back to its front.
  const queue: Job[] = []
  for (let i = 0; i < fileIndexes.length; i += BATCH_FILES) {
    queue.push({
      files: fileIndexes.slice(i, i + BATCH_FILES).map((index) => {
        const f = files[index]!
        return {index, source: f.source, store: shouldStore(f.path)}
      }),
    })
  }

  const done = new Map<number, Done>()
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const signal = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const workers: Worker[] = []
  /** First entry index of each batch a worker holds. */
  const running: Array<Set<number>> = []
  const pool: PooledBuffer[] = []
  /** Buffers whose entries are all emitted: free once the flush that writes them completes. */
  let flushing: PooledBuffer[] = []
  let allocated = 0
  const readBuffers = new Array<number>(lanes).fill(0)
  let peak = 0
  let jobId = 0
  let written = 0 // index of the next entry to write
  let largestRead = 0
  const account = () => {
    const read = readBuffers.reduce((a, b) => a + b, 0)
    peak = Math.max(peak, allocated * batchBytes + read + STREAM_RESERVE)
  }
  const mainLane = new BatchProcessor()

  /**
   * A buffer for the next batch, or undefined when the budget has none. The batch that holds the next entry to
   * write may take the last one; the others leave it free, so the writer can always make progress.
   */
  const takeBuffer = (): PooledBuffer | undefined => {
    if (queue.length === 0 || failure !== undefined) return undefined
    const head = queue[0]!.files[0]!.index
    const critical = running.every((r) => [...r].every((first) => first > head))
    if (pool.length > 0 && (critical || pool.length + (maxBuffers - allocated) > 1)) return pool.pop()!
    if (allocated < maxBuffers - (critical ? 0 : 1)) {
      allocated++
      account()
      return {ab: new ArrayBuffer(batchBytes), pending: 0}
    }
    return undefined
  }
  const release = (buffer: PooledBuffer) => {
    pool.push(buffer)
    dispatch()
  }

  /** Takes a lane's results: what is done waits for the writer, what was deferred goes back to the front. */
  const onResults = (results: WorkerResult[], buffer: PooledBuffer) => {
    const data = Buffer.from(buffer.ab)
    const deferred: WorkerJob['files'] = []
    for (const r of results) {
      if (r.deferred) {
        const f = files[r.index]!
        deferred.push({index: r.index, source: f.source, store: shouldStore(f.path)})
      } else if (r.error !== undefined)
        failure ??= badInput('FILE_NOT_FOUND', `Cannot read ${files[r.index]!.path}: ${r.error}`)
      else if (r.large) done.set(r.index, {large: true, sourceMode: r.sourceMode})
      else {
        done.set(r.index, {result: r, data: data.subarray(r.offset, r.offset + r.length), buffer})
        buffer.pending++
      }
    }
    largestRead = Math.max(
      largestRead,
      results.reduce((n, r) => n + (r.large || r.deferred || r.error !== undefined ? 0 : r.size), 0),
    )
    if (deferred.length > 0) queue.unshift({files: deferred})
    if (buffer.pending === 0) pool.push(buffer)
  }

  /** Workers that are up: a batch given to a worker still starting would wait there while this thread is idle. */
  const online: boolean[] = []
  const dispatch = () => {
    while (queue.length > 0 && failure === undefined) {
      let w = -1
      for (let k = 0; k < workers.length; k++) if (online[k] && (w < 0 || running[k]!.size < running[w]!.size)) w = k
      if (w < 0 || running[w]!.size >= 2) return
      const buffer = takeBuffer()
      if (!buffer) return
      const job = queue.shift()!
      running[w]!.add(job.files[0]!.index)
      workers[w]!.postMessage(
        {id: jobId++, level, inlineLimit, maxBytes: batchBytes, files: job.files, out: buffer.ab} satisfies WorkerJob,
        [buffer.ab],
      )
    }
  }

  /** Runs one batch on this thread, when the budget allows; false when there was nothing to run. */
  const runHere = (): boolean => {
    const buffer = takeBuffer()
    if (!buffer) return false
    const job = queue.shift()!
    const {results} = mainLane.process(
      {id: jobId++, level, inlineLimit, maxBytes: batchBytes, files: job.files},
      new Uint8Array(buffer.ab),
    )
    readBuffers[0] = mainLane.readBufferBytes
    account()
    onResults(results, buffer)
    return true
  }

  for (let k = 0; k < Math.min(lanes - 1, queue.length - 1); k++) {
    // A small young generation: a worker allocates little JS, and each semi-space is resident memory.
    const worker = new Worker(workerUrl, {workerData: DEFLATE_WORKER, resourceLimits: {maxYoungGenerationSizeMb: 4}})
    running.push(new Set())
    online.push(false)
    worker.once('online', () => {
      online[k] = true
      dispatch()
    })
    worker.on('message', (reply: WorkerReply) => {
      running[k]!.delete(reply.results[0]!.index)
      const buffer: PooledBuffer = {ab: reply.out, pending: 0}
      readBuffers[k + 1] = reply.readBufferBytes
      account()
      onResults(reply.results, buffer)
      dispatch()
      signal()
    })
    worker.on('error', (err) => {
      failure ??= new EbwsError('INTERNAL', `Bundle worker failed: ${err.message}`, {cause: err})
      signal()
    })
    workers.push(worker)
  }
  const collectGarbage = gcEvery(STREAM_GC_EVERY_BYTES)

  const fh = await open(path, 'w')
  const zipHash = createHash('sha256')
  const contentHash = createHash('sha256')
  let hashIsStale = false
  let position = 0
  let flushedTo = 0
  let pending: Buffer[] = []
  const metas: ZipEntryMeta[] = []
  const madeExecutable: string[] = []
  const privateKeyFiles: string[] = []
  const listing: WrittenEntry[] = []
  let uncompressedBytes = 0

  const flush = async () => {
    const freed = flushing
    flushing = []
    if (pending.length > 0) {
      const bufs = pending
      pending = []
      await fh.writev(bufs, flushedTo)
      flushedTo = position
    }
    for (const b of freed) release(b)
  }
  const emit = async (buf: Buffer) => {
    pending.push(buf)
    zipHash.update(buf)
    position += buf.length
    if (position > maxBytes) {
      throw badInput(
        'BUNDLE_INVALID',
        `The bundle is over the ${(maxBytes / 1024 / 1024).toFixed(maxBytes < 10 << 20 ? 2 : 0)} MB limit for Elastic Beanstalk source bundles`,
        ['Leave large files out with .ebignore', 'Check that node_modules and build caches are not bundled'],
      )
    }
    if (position - flushedTo >= FLUSH_BYTES) await flush()
  }
  const addEntry = async (
    file: BundleFile,
    mode: number,
    method: number,
    crc: number,
    size: number,
    data: Buffer,
    sha: string,
  ) => {
    const name = Buffer.from(file.kind === 'directory' ? file.path + '/' : file.path, 'utf8')
    const meta: ZipEntryMeta = {name, mode, method, crc32: crc, compressedSize: data.length, size, offset: position}
    metas.push(meta)
    listing.push({path: file.path, kind: file.kind, mode, size, compressedSize: data.length})
    contentHash.update(`${file.path}\0${mode.toString(8)}\0${sha}\0`)
    uncompressedBytes += size
    await emit(localHeader(meta))
    if (data.length > 0) await emit(data)
  }

  const streamLarge = async (file: BundleFile, mode: number) => {
    await flush()
    const name = Buffer.from(file.path, 'utf8')
    const method = level > 0 && !shouldStore(file.path) ? METHOD_DEFLATE : METHOD_STORE
    const meta: ZipEntryMeta = {name, mode, method, crc32: 0, compressedSize: 0, size: 0, offset: position}
    await emit(localHeader(meta))
    await flush()
    const sha = createHash('sha256')
    let crc = 0
    let tail = Buffer.alloc(0)
    let privateKey = false
    await pipeline(
      createReadStream(file.source, {highWaterMark: 64 * 1024}),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          crc = crc32(chunk, crc)
          sha.update(chunk)
          meta.size += chunk.length
          // The PEM test sees the end of the previous chunk too, so a header split across two reads is found: a
          // header starting in the first PEM_OVERLAP bytes is in tail + head (a copy of 128 bytes, not of the chunk).
          if (!privateKey)
            privateKey =
              looksLikePrivateKey(chunk) ||
              (tail.length > 0 && looksLikePrivateKey(Buffer.concat([tail, chunk.subarray(0, PEM_OVERLAP)])))
          tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - PEM_OVERLAP)))
          // Each 64 KiB read is garbage once deflated: without a collection a 1 GiB file left ~64 MiB of it.
          collectGarbage(chunk.length)
          yield chunk
        }
      },
      method === METHOD_DEFLATE ? createDeflateRaw({level}) : new PassThrough(),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          meta.compressedSize += chunk.length
          await emit(chunk)
        }
      },
    )
    if (meta.size > 0xfffffffe)
      throw badInput('BUNDLE_INVALID', `${file.path} is over 4 GiB: too large for a source bundle`)
    meta.crc32 = crc
    await flush()
    const patch = Buffer.alloc(12)
    patch.writeUInt32LE(crc >>> 0, 0)
    patch.writeUInt32LE(meta.compressedSize, 4)
    patch.writeUInt32LE(meta.size, 8)
    await fh.write(patch, 0, 12, meta.offset + LOCAL_HEADER_CRC_OFFSET)
    hashIsStale = true // the header bytes hashed earlier were placeholders
    metas.push(meta)
    listing.push({path: file.path, kind: file.kind, mode, size: meta.size, compressedSize: meta.compressedSize})
    if (privateKey) privateKeyFiles.push(file.path)
    contentHash.update(`${file.path}\0${mode.toString(8)}\0${sha.digest('hex')}\0`)
    uncompressedBytes += meta.size
  }

  let ok = false
  try {
    dispatch()
    for (; written < files.length; written++) {
      const file = files[written]!
      if (file.kind === 'directory') {
        await addEntry(
          file,
          entryMode(file).mode,
          METHOD_STORE,
          0,
          0,
          Buffer.alloc(0),
          createHash('sha256').digest('hex'),
        )
      } else if (file.kind === 'symlink') {
        const target = Buffer.from(file.linkTarget ?? '', 'utf8')
        const sha = createHash('sha256').update(target).digest('hex')
        await addEntry(file, entryMode(file).mode, METHOD_STORE, crc32(target), target.length, target, sha)
      } else {
        let d = done.get(written)
        while (d === undefined) {
          if (failure) throw failure
          // While the next entry is not ready, this thread is a lane too. Written buffers are reused before new ones
          // are made: flushing frees them.
          if (pool.length === 0 && flushing.length > 0) await flush()
          else if (!runHere()) await new Promise<void>((r) => (wake = r))
          d = done.get(written)
        }
        done.delete(written)
        const {mode, madeExecutable: made} = entryMode(file, 'large' in d ? d.sourceMode : d.result.sourceMode)
        if (made) madeExecutable.push(file.path)
        if ('large' in d) {
          await streamLarge(file, mode)
        } else {
          if (d.result.privateKey) privateKeyFiles.push(file.path)
          await addEntry(file, mode, d.result.method, d.result.crc32, d.result.size, d.data, d.result.sha256)
          if (--d.buffer.pending === 0) flushing.push(d.buffer)
        }
        dispatch()
      }
      if (options.onProgress && (written % 256 === 255 || written === files.length - 1)) {
        options.onProgress({entriesWritten: written + 1, entries: files.length, bytesWritten: position})
      }
    }
    if (failure) throw failure
    const cdOffset = position
    const cd = Buffer.concat(metas.map(centralHeader))
    await emit(cd)
    await emit(endRecords(metas.length, cdOffset, cd.length))
    await flush()
    ok = true
  } finally {
    mainLane.close()
    await Promise.all(workers.map((w) => w.terminate()))
    await fh.close()
    if (!ok) await rm(path, {force: true})
  }
  const sha256 = hashIsStale ? await sha256File(path) : zipHash.digest('hex')
  return {
    path,
    sizeBytes: position,
    sha256,
    contentHash: contentHash.digest('hex'),
    entries: metas.length,
    uncompressedBytes,
    madeExecutable,
    privateKeyFiles,
    written: listing,
    peakBytesInFlight: peak,
    largestBatchReadBytes: largestRead,
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
