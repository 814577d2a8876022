/**
 * Writes the deterministic source bundle zip.
 *
 * Determinism: entries in the order collectBundleFiles sorted them, one fixed timestamp (zip-format.ts), modes
 * reduced to 0644/0755 (files), 0755 (folders), 0777 (links), no extra fields, and the store-or-deflate choice made
 * from the bytes alone. The same tree gives the same bytes on any machine, in any time zone, whatever the mtimes:
 * every way a file is deflated here (a batch's reused stream, the thread pool's fresh one, a large file's chunks)
 * gives zlib's bytes for that content (tests check each against deflateRawSync).
 *
 * Speed: this thread reads, checksums and deflates the small files, in batches of consecutive entries (sync zlib:
 * ~20,000 async calls would cost seconds of overhead), and hands each file to deflate of at least OFFLOAD_MIN to
 * libuv's thread pool through zlib's async API (on the text tree of bench/bundle.ts: 6% of the files, 60% of the
 * bytes), at most concurrency - 1 at once (at most MAX_POOL_LANES: the pool's four threads, none left waiting for
 * a write: writes are sync). The thread pool needs no isolate: a deflate worker thread cost ~17 MiB of RSS before it
 * deflated a byte. When this thread has nothing left to do it deflates a waiting pool file itself. Only this thread
 * writes, in entry order. Files above `inlineLimit` are streamed by this thread.
 *
 * Memory: bounded by bytes, not by files. `memoryBudget` (default DEFAULT_MEMORY_BUDGET, 32 MiB) caps the bytes in
 * flight, counted in units of batchBytes ((budget - STREAM_RESERVE) / 16, ~1.9 MiB by default):
 * - this thread's read buffer (1 unit: reused for every file of its batches, at most inlineLimit ≤ batchBytes);
 * - its out buffers (MAX_OUT_BUFFERS units, 2: each filled by consecutive batches, reused once its entries are
 *   written; a batch reads at most what its out buffer has room for, and its output is at most what it read);
 * - per pool lane, a read and an output buffer (2 units: at most MAX_POOL_LANES lanes), held until its file is
 *   written;
 * - STREAM_RESERVE, 1.5 MiB: the write buffer and a streamed file's read and output buffers. Files over inlineLimit
 *   are streamed (STREAM_CHUNK reads through zlib into one reused buffer), so a 1 GiB file costs no more.
 * At most 1 + 2 + 2 × 4 = 11 of the 16 units. Buffers are made once at full size and counted so (an upper bound:
 * pages never written cost no memory), and freed as soon as the zip is written (freeNow). Not counted:
 * zlib's own state (~256 KiB a stream) and the listing's objects (a few hundred bytes a file; gc.ts keeps the
 * garbage they leave from piling up). peakBytesInFlight reports the most counted at once.
 */
import {closeSync, fstatSync, openSync, readSync, writeSync} from 'node:fs'
import {open, rm} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {availableParallelism} from 'node:os'
import {resolve} from 'node:path'
import {crc32} from 'node:zlib'
import {badInput, EbwsError} from '../cli/errors.ts'
import type {BundleFile} from './collect.ts'
import {BatchProcessor, ChunkDeflater, describe, freeNow, PoolDeflater, readWhole} from './deflate.ts'
import type {BatchJob, ReadFile} from './deflate.ts'
import {collectIfGrown} from './gc.ts'
import {looksLikePrivateKey, PEM_OVERLAP} from './secrets.ts'
import {
  centralHeaderLength,
  endRecords,
  LOCAL_HEADER_CRC_OFFSET,
  localHeaderLength,
  METHOD_DEFLATE,
  METHOD_STORE,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  writeCentralHeader,
  writeLocalHeader,
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
 * (Node's zlib runs levels 1–3 no faster than 4 on the text tree of bench/bundle.ts: 2.4–2.6 s against 2.2 s.)
 */
export const DEFAULT_LEVEL = 4

export interface WriteOptions {
  /** zlib level 0–9 (0 stores everything). Default DEFAULT_LEVEL. */
  level?: number
  /**
   * Files deflated at once: this thread, and concurrency - 1 on libuv's thread pool (at most MAX_POOL_LANES).
   * Default: one pool lane per core (the available parallelism + 1): this thread also reads, checksums and writes
   * every file, in order, and waits for the pool's file at the head; with one lane fewer, on 2 cores it sat idle
   * 1.2 of 4 s of the text tree (CPU profile), 0.46 s with one lane per core.
   */
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
  /** The most file content one batch of this thread read (at most the batch size, (budget - 1.5 MiB) / 16). */
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
/** The writer's output buffer: entries are copied in, and written (sync) once it is full. */
const FLUSH_BYTES = 1 << 20
/** A streamed file's read size, and the size of the buffer its zlib output goes through. */
const STREAM_CHUNK = 256 * 1024
/** libuv's thread pool has 4 threads (UV_THREADPOOL_SIZE): more lanes would only queue. */
const MAX_POOL_LANES = 4
/** The write buffer and a streamed file's two buffers. */
const STREAM_RESERVE = FLUSH_BYTES + 2 * STREAM_CHUNK
/** The smallest budget that still lets batches of 64 KiB through. */
const MIN_MEMORY_BUDGET = STREAM_RESERVE + 16 * 64 * 1024
/** Out buffers of this thread's batches: enough to run ahead of a pool file it waits for. */
const MAX_OUT_BUFFERS = 2
/** A file to deflate of at least this size goes to the thread pool (when there is a pool lane). */
const OFFLOAD_MIN = 32 * 1024
/** An out buffer with less room left than this takes no more batches. */
const MIN_BATCH_ROOM = 64 * 1024
const BATCH_FILES = 64

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

/** An out buffer of this thread's batches: filled by consecutive batches, free again once its entries are written. */
interface OutBuffer {
  buf: Buffer
  used: number
  /** Entries in it not written yet. */
  pending: number
}

/** A pool lane: the file it holds stays in its buffers until written. */
interface Lane {
  /** Its read buffer and its output buffer (inlineLimit each, made on first use). */
  buf: Buffer
  out: Buffer
  deflater: PoolDeflater
  busy: boolean
}

/** A processed file, its bytes in its owner's buffer (an out buffer, or a lane's); or streamed by the writer (large). */
type Read = ReadFile & {owner: OutBuffer | Lane}
type Done = Read | {kind: 'large'; sourceMode: number}

/** Where a read file's bytes are. */
const bytesOf = (d: Read): Buffer => {
  const o = d.owner
  const buf = 'busy' in o ? (d.method === METHOD_DEFLATE ? o.out : o.buf) : o.buf
  return buf.subarray(d.offset, d.offset + d.length)
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
  const fileIndexes: number[] = []
  for (let i = 0; i < files.length; i++) if (files[i]!.kind === 'file') fileIndexes.push(i)
  // Budget units (batchBytes): this thread's read buffer 1, its out buffers MAX_OUT_BUFFERS, a lane 2: ≤ 11.
  const laneCount =
    level > 0 ? Math.max(0, Math.min((options.concurrency ?? availableParallelism() + 1) - 1, MAX_POOL_LANES)) : 0
  const offloadMin = laneCount > 0 ? Math.min(OFFLOAD_MIN, inlineLimit) : undefined

  // Batches: ranges of fileIndexes, in entry order; a batch's unread rest stays at the front.
  const queue: Array<{from: number; to: number}> = []
  for (let i = 0; i < fileIndexes.length; i += BATCH_FILES)
    queue.push({from: i, to: Math.min(i + BATCH_FILES, fileIndexes.length)})
  /** Entry indexes for the thread pool, in entry order (batches run in order); offloads[nextOffload] is next. */
  const offloads: number[] = []
  let nextOffload = 0

  const done = new Map<number, Done>()
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const signal = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const lanes: Lane[] = Array.from({length: laneCount}, () => ({
    buf: Buffer.alloc(0),
    out: Buffer.alloc(0),
    deflater: new PoolDeflater(level),
    busy: false,
  }))
  let inFlight = 0
  const pool: OutBuffer[] = []
  let current: OutBuffer | undefined
  let allocated = 0
  let peak = 0
  let largestRead = 0
  const mainLane = new BatchProcessor()
  const account = () => {
    let bytes = allocated * batchBytes + mainLane.readBufferBytes + STREAM_RESERVE
    for (const l of lanes) bytes += l.buf.length + l.out.length
    peak = Math.max(peak, bytes)
  }
  account()

  /** The out buffer the next batch goes into: the current one while it has room, else a free or a new one. */
  const takeRoom = (): OutBuffer | undefined => {
    if (current && batchBytes - current.used >= MIN_BATCH_ROOM) return current
    retire()
    const reused = pool.pop()
    if (reused) return (current = reused)
    if (allocated >= MAX_OUT_BUFFERS) return undefined
    allocated++
    account()
    return (current = {buf: Buffer.allocUnsafeSlow(batchBytes), used: 0, pending: 0})
  }
  /** The current out buffer takes no more batches: free as soon as its entries are written. */
  const retire = () => {
    if (current && current.pending === 0) {
      current.used = 0
      pool.push(current)
    }
    current = undefined
  }
  const written_ = (owner: OutBuffer | Lane) => {
    if ('busy' in owner) owner.busy = false
    else if (--owner.pending === 0 && owner !== current) {
      owner.used = 0
      pool.push(owner)
    }
  }

  /**
   * Runs one batch on this thread: the queue's first, or (`steal`) the next pool file, which waits for a lane.
   * False when there was nothing to run, or no room for it.
   */
  const runHere = (steal: boolean): boolean => {
    if (failure !== undefined) return false
    const job = steal ? undefined : queue[0]
    if (!job && (!steal || nextOffload >= offloads.length)) return false
    const room = takeRoom()
    if (!room) return false
    const fresh = room.used === 0
    const batch: BatchJob['files'] = []
    if (job) {
      for (let k = job.from; k < job.to; k++) {
        const f = files[fileIndexes[k]!]!
        batch.push({index: fileIndexes[k]!, source: f.source, store: shouldStore(f.path)})
      }
    } else {
      const f = files[offloads[nextOffload]!]!
      batch.push({index: offloads[nextOffload]!, source: f.source, store: false})
    }
    const {results, used, read} = mainLane.process(
      {level, inlineLimit, offloadMin: job ? offloadMin : undefined, maxBytes: batchBytes - room.used, files: batch},
      room.buf,
      room.used,
      fresh,
    )
    let deferred = -1
    for (let k = 0; k < results.length; k++) {
      const r = results[k]!
      if (r.kind === 'read') {
        ;(r as Read).owner = room
        done.set(r.index, r as Read)
        room.pending++
      } else if (r.kind === 'large') done.set(r.index, {kind: 'large', sourceMode: r.sourceMode})
      else if (r.kind === 'offload') offloads.push(r.index)
      else if (r.kind === 'error')
        failure ??= badInput('FILE_NOT_FOUND', `Cannot read ${files[r.index]!.path}: ${r.error}`)
      else if (deferred < 0) deferred = k
    }
    room.used += used
    largestRead = Math.max(largestRead, read)
    account()
    collectIfGrown()
    if (deferred >= 0) {
      // The out buffer had no room for the next file: the rest waits for a fresh one.
      if (job) job.from += deferred
      retire()
    } else if (job) queue.shift()
    else nextOffload++
    return true
  }

  /** Hands the next pool files to free lanes: read and checksummed here, deflated on the pool. */
  const startOffloads = () => {
    for (const lane of lanes) {
      if (failure !== undefined || nextOffload >= offloads.length) return
      if (!lane.busy) startOffload(lane, offloads[nextOffload++]!)
    }
  }
  const startOffload = (lane: Lane, index: number) => {
    const source = files[index]!.source
    let fd: number
    try {
      fd = openSync(source, 'r')
    } catch (err) {
      failure ??= badInput('FILE_NOT_FOUND', `Cannot read ${files[index]!.path}: ${(err as Error).message}`)
      return
    }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) {
        failure ??= badInput(
          'FILE_NOT_FOUND',
          `Cannot read ${files[index]!.path}: ${source} is no longer a regular file`,
        )
        return
      }
      if (st.size > inlineLimit) {
        done.set(index, {kind: 'large', sourceMode: st.mode})
        return
      }
      if (lane.buf.length === 0) {
        // At inlineLimit at once (pages not written to cost no memory): no buffer left behind for each size reached.
        lane.buf = Buffer.allocUnsafeSlow(inlineLimit)
        lane.out = Buffer.allocUnsafeSlow(inlineLimit)
      }
      const data = readWhole(fd, lane.buf, st.size)
      lane.busy = true
      inFlight++
      account()
      lane.deflater.deflateInto(data, lane.out, data.length, (err, length) => {
        inFlight--
        if (err) failure ??= new EbwsError('INTERNAL', `Deflating ${files[index]!.path} failed: ${err.message}`)
        else {
          if (length >= 0) {
            file.method = METHOD_DEFLATE
            file.length = length
          } // else deflate does not pay: stored, from the read buffer
          done.set(index, file)
        }
        signal()
      })
      // Checksums here while the pool deflates: both only read `data`.
      const file = describe(index, data, st.mode, METHOD_STORE, 0, data.length) as Read
      file.owner = lane
    } finally {
      closeSync(fd)
    }
  }

  const fd = openSync(path, 'w')
  const zipHash = createHash('sha256')
  const contentHash = createHash('sha256')
  let hashIsStale = false
  /** Bytes emitted; the first flushedTo of them are in the file (and hashed), the rest in wbuf. */
  let position = 0
  let flushedTo = 0
  const wbuf = Buffer.allocUnsafeSlow(FLUSH_BYTES)
  let streamBuffers: {read: Buffer; out: Buffer} | undefined
  // The central directory's fields, by entry index: no object per entry held to the end.
  const cd = {
    mode: new Uint32Array(files.length),
    method: new Uint8Array(files.length),
    crc32: new Uint32Array(files.length),
    compressedSize: new Uint32Array(files.length),
    size: new Uint32Array(files.length),
    offset: new Uint32Array(files.length),
  }
  let entries = 0
  const madeExecutable: string[] = []
  const privateKeyFiles: string[] = []
  const listing: WrittenEntry[] = []
  let uncompressedBytes = 0

  const writeAt = (buf: Uint8Array, at: number) => {
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off, at + off)
  }
  const flush = () => {
    const n = position - flushedTo
    if (n === 0) return
    const out = wbuf.subarray(0, n)
    writeAt(out, flushedTo)
    zipHash.update(out)
    flushedTo = position
  }
  /** Room for n more bytes of the zip in the write buffer: where they go. */
  const reserve = (n: number): number => {
    if (position + n > maxBytes) {
      throw badInput(
        'BUNDLE_INVALID',
        `The bundle is over the ${(maxBytes / 1024 / 1024).toFixed(maxBytes < 10 << 20 ? 2 : 0)} MB limit for Elastic Beanstalk source bundles`,
        ['Leave large files out with .ebignore', 'Check that node_modules and build caches are not bundled'],
      )
    }
    if (position - flushedTo + n > FLUSH_BYTES) flush()
    const at = position - flushedTo
    position += n
    return at
  }
  /** Appends to the zip: copied into the write buffer (so `buf` may be reused at once), or written when large. */
  const emit = (buf: Uint8Array) => {
    if (buf.length < FLUSH_BYTES) return void wbuf.set(buf, reserve(buf.length))
    flush()
    reserve(buf.length)
    writeAt(buf, flushedTo)
    zipHash.update(buf)
    flushedTo = position
  }
  const nameOf = (file: BundleFile) => (file.kind === 'directory' ? file.path + '/' : file.path)
  const emitLocalHeader = (file: BundleFile, meta: ZipEntryMeta) => {
    const name = nameOf(file)
    const nameBytes = Buffer.byteLength(name, 'utf8')
    writeLocalHeader(wbuf, reserve(localHeaderLength(nameBytes)), meta, name, nameBytes)
  }
  const record = (file: BundleFile, meta: ZipEntryMeta, sha: string) => {
    const i = entries++
    cd.mode[i] = meta.mode
    cd.method[i] = meta.method
    cd.crc32[i] = meta.crc32 >>> 0
    cd.compressedSize[i] = meta.compressedSize
    cd.size[i] = meta.size
    cd.offset[i] = meta.offset
    listing.push({
      path: file.path,
      kind: file.kind,
      mode: meta.mode,
      size: meta.size,
      compressedSize: meta.compressedSize,
    })
    contentHash.update(`${file.path}\0${meta.mode.toString(8)}\0${sha}\0`)
    uncompressedBytes += meta.size
  }
  const addEntry = (
    file: BundleFile,
    mode: number,
    method: number,
    crc: number,
    size: number,
    data: Uint8Array,
    sha: string,
  ) => {
    const meta: ZipEntryMeta = {mode, method, crc32: crc, compressedSize: data.length, size, offset: position}
    emitLocalHeader(file, meta)
    if (data.length > 0) emit(data)
    record(file, meta, sha)
  }

  const streamLarge = async (file: BundleFile, mode: number) => {
    const method = level > 0 && !shouldStore(file.path) ? METHOD_DEFLATE : METHOD_STORE
    // The header starts an empty write buffer: when the file's output fits after it, the header is patched there
    // before it is written and hashed, and the zip's hash needs no second read of the zip.
    flush()
    const meta: ZipEntryMeta = {mode, method, crc32: 0, compressedSize: 0, size: 0, offset: position}
    emitLocalHeader(file, meta)
    streamBuffers ??= {read: Buffer.allocUnsafeSlow(STREAM_CHUNK), out: Buffer.allocUnsafeSlow(STREAM_CHUNK)}
    const {read} = streamBuffers
    const deflater = method === METHOD_DEFLATE ? new ChunkDeflater(level, streamBuffers.out) : undefined
    const sink = (piece: Uint8Array) => {
      meta.compressedSize += piece.length
      emit(piece)
    }
    const sha = createHash('sha256')
    const tail = Buffer.alloc(PEM_OVERLAP)
    let tailLength = 0
    let privateKey = false
    const input = openSync(file.source, 'r')
    try {
      for (;;) {
        const n = readSync(input, read, 0, STREAM_CHUNK, null)
        const chunk = read.subarray(0, n)
        meta.crc32 = crc32(chunk, meta.crc32)
        sha.update(chunk)
        meta.size += n
        // The PEM test sees the end of the previous chunk too, so a header split across two reads is found: a
        // header starting in the last PEM_OVERLAP bytes of a chunk is in tail + head (a copy of 128 bytes).
        privateKey ||=
          looksLikePrivateKey(chunk) ||
          (tailLength > 0 &&
            n > 0 &&
            looksLikePrivateKey(Buffer.concat([tail.subarray(0, tailLength), chunk.subarray(0, PEM_OVERLAP)])))
        if (n > 0) {
          tailLength = Math.min(PEM_OVERLAP, n)
          tail.set(chunk.subarray(n - tailLength))
        }
        if (deflater) await deflater.write(chunk, n === 0, sink)
        else sink(chunk)
        if (n === 0) break
        if (meta.size > 0xfffffffe)
          throw badInput('BUNDLE_INVALID', `${file.path} is over 4 GiB: too large for a source bundle`)
      }
    } finally {
      closeSync(input)
      deflater?.close()
    }
    const patch = Buffer.alloc(12)
    patch.writeUInt32LE(meta.crc32 >>> 0, 0)
    patch.writeUInt32LE(meta.compressedSize, 4)
    patch.writeUInt32LE(meta.size, 8)
    const at = meta.offset + LOCAL_HEADER_CRC_OFFSET
    if (at >= flushedTo)
      patch.copy(wbuf, at - flushedTo) // the header is not written yet: nor hashed
    else {
      writeAt(patch, at)
      hashIsStale = true // the header bytes hashed earlier were placeholders
    }
    if (privateKey) privateKeyFiles.push(file.path)
    record(file, meta, sha.digest('hex'))
  }

  let ok = false
  try {
    for (let written = 0; written < files.length; written++) {
      const file = files[written]!
      if (file.kind === 'directory') {
        addEntry(file, entryMode(file).mode, METHOD_STORE, 0, 0, Buffer.alloc(0), createHash('sha256').digest('hex'))
      } else if (file.kind === 'symlink') {
        const target = Buffer.from(file.linkTarget ?? '', 'utf8')
        const sha = createHash('sha256').update(target).digest('hex')
        addEntry(file, entryMode(file).mode, METHOD_STORE, crc32(target), target.length, target, sha)
      } else {
        let d = done.get(written)
        while (d === undefined) {
          if (failure) throw failure
          // While the next entry is not ready, this thread runs batches, or deflates a pool file itself when its
          // out buffers are full or the batches are done; it yields so that the pool's replies come in.
          startOffloads()
          if (runHere(false) || runHere(true)) {
            if (inFlight > 0) await new Promise<void>((r) => setImmediate(r))
          } else if (inFlight > 0) await new Promise<void>((r) => (wake = r))
          else if (!done.has(written) && failure === undefined)
            throw new EbwsError('INTERNAL', `Bundle writer stalled at ${file.path}`)
          d = done.get(written)
        }
        done.delete(written)
        const {mode, madeExecutable: made} = entryMode(file, d.sourceMode)
        if (made) madeExecutable.push(file.path)
        if (d.kind === 'large') {
          await streamLarge(file, mode)
        } else {
          if (d.privateKey) privateKeyFiles.push(file.path)
          addEntry(file, mode, d.method, d.crc32, d.size, bytesOf(d), d.sha256)
          written_(d.owner)
          if ('busy' in d.owner) startOffloads()
        }
      }
      if (options.onProgress && (written % 256 === 255 || written === files.length - 1)) {
        options.onProgress({entriesWritten: written + 1, entries: files.length, bytesWritten: position})
      }
    }
    if (failure) throw failure
    const cdOffset = position
    for (let i = 0; i < entries; i++) {
      const name = nameOf(files[i]!)
      const nameBytes = Buffer.byteLength(name, 'utf8')
      const meta: ZipEntryMeta = {
        mode: cd.mode[i]!,
        method: cd.method[i]!,
        crc32: cd.crc32[i]!,
        compressedSize: cd.compressedSize[i]!,
        size: cd.size[i]!,
        offset: cd.offset[i]!,
      }
      writeCentralHeader(wbuf, reserve(centralHeaderLength(nameBytes)), meta, name, nameBytes)
    }
    emit(endRecords(entries, cdOffset, position - cdOffset))
    flush()
    ok = true
  } finally {
    mainLane.close()
    // The pool's files still being deflated read their lane's buffer: let them end before the zip is removed.
    while (inFlight > 0) await new Promise<void>((r) => (wake = r))
    for (const l of lanes) {
      l.deflater.close()
      freeNow(l.buf)
      freeNow(l.out)
    }
    for (const b of [...pool, ...(current ? [current] : [])]) freeNow(b.buf)
    freeNow(wbuf)
    if (streamBuffers) for (const b of [streamBuffers.read, streamBuffers.out]) freeNow(b)
    closeSync(fd)
    if (!ok) await rm(path, {force: true})
  }
  const sha256 = hashIsStale ? await sha256File(path) : zipHash.digest('hex')
  collectIfGrown() // the batches' garbage, before the caller lists 20,000 entries
  return {
    path,
    sizeBytes: position,
    sha256,
    contentHash: contentHash.digest('hex'),
    entries,
    uncompressedBytes,
    madeExecutable,
    privateKeyFiles,
    written: listing,
    peakBytesInFlight: peak,
    largestBatchReadBytes: largestRead,
  }
}

/** The sha256 of a file, read through one reused buffer (a read stream's 64 KiB chunks were 13 MiB of garbage). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  const fh = await open(path, 'r')
  const buf = Buffer.allocUnsafeSlow(STREAM_CHUNK)
  try {
    for (;;) {
      const {bytesRead} = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
    freeNow(buf)
  }
  return hash.digest('hex')
}
