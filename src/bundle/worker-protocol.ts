/** Messages between writeBundle and its deflate workers. */

export interface WorkerJob {
  id: number
  level: number
  /** Files bigger than this are not read by the worker: the writer streams them itself. */
  inlineLimit: number
  /** Stop reading once this many bytes of the batch are read; the rest comes back as deferred. */
  maxBytes: number
  files: Array<{index: number; source: string; store: boolean}>
}

export type WorkerResult =
  | {
      index: number
      sourceMode: number
      size: number
      crc32: number
      method: number
      /** Where this file's (compressed) bytes sit in the reply's data buffer. */
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
  data: ArrayBuffer
}
