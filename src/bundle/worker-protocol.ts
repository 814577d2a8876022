/** Messages between writeBundle and its deflate workers. */

export interface WorkerJob {
  id: number
  level: number
  /** Files bigger than this are not read by the worker: the writer streams them itself. */
  inlineLimit: number
  /** Stop reading once this many bytes of the batch are read; the rest comes back as deferred. */
  maxBytes: number
  files: Array<{index: number; source: string; store: boolean}>
  /**
   * Where the batch's output goes (at least maxBytes long): one of the writer's pooled buffers, transferred to the
   * worker and back, so no batch allocates a buffer of its own.
   */
  out: ArrayBuffer
}

export type WorkerResult =
  | {
      index: number
      sourceMode: number
      size: number
      crc32: number
      method: number
      /** Where this file's (compressed) bytes sit in the reply's out buffer. */
      offset: number
      length: number
      sha256: string
      privateKey: boolean
      large?: undefined
      error?: undefined
      deferred?: undefined
    }
  | {index: number; large: true; sourceMode: number; error?: undefined; deferred?: undefined}
  | {index: number; error: string; large?: undefined; deferred?: undefined}
  | {index: number; deferred: true; large?: undefined; error?: undefined}

export interface WorkerReply {
  id: number
  results: WorkerResult[]
  /** The job's out buffer, back to the writer; its first `used` bytes hold the batch's output. */
  out: ArrayBuffer
  used: number
  /** The size of the worker's read buffer (it grows to the largest file read, at most inlineLimit). */
  readBufferBytes: number
}

/** workerData of a deflate worker: deflate-worker.ts listens for jobs only when it is set. */
export const DEFLATE_WORKER = 'ebws-deflate-worker'
