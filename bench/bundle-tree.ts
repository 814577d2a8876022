/**
 * Trees for the bundle benchmark, shaped like the Node apps ebws deploys. Seeded, so every run measures the same
 * bytes.
 *
 * - `text`: a Node app with a build output: ~20,000 files of JavaScript, JSON, CSS and source maps, mostly small
 *   (median ~2 KB) with a tail of large bundles and maps (up to ~2 MB), plus a package-lock.json; compresses about
 *   as real code does (identifiers drawn from a large generated vocabulary, not a dozen words). node_modules is
 *   there too and left out.
 * - `mixed`: a smaller app with binary assets: images, fonts, and already-compressed files (.gz, .br, .zip) that
 *   deflate cannot shrink, beside text.
 * - `big`: a minimal app and one large file (size in MiB), for the memory bound.
 */
import {mkdir, open, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

/** Mulberry32: tiny, fast, good enough for shaping test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYWORDS =
  'const let function return if else for await async import export default from new class this null true false typeof'.split(
    ' ',
  )
const SYLLABLES =
  'ba be bi bo bu da de di do ka ke ki ko ku la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi za ze'.split(
    ' ',
  )

function vocabulary(random: () => number, n: number): string[] {
  const words: string[] = []
  for (let i = 0; i < n; i++) {
    let w = ''
    const len = 2 + Math.floor(random() * 4)
    for (let j = 0; j < len; j++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]
    words.push(random() < 0.3 ? w[0]!.toUpperCase() + w.slice(1) : w)
  }
  return words
}

interface Gen {
  random: () => number
  words: string[]
}

const pick = <T>(g: Gen, xs: readonly T[]): T => xs[Math.floor(g.random() * xs.length)]!

function jsText(g: Gen, bytes: number): string {
  const lines: string[] = []
  let size = 0
  let depth = 0
  while (size < bytes) {
    const r = g.random()
    let line: string
    if (r < 0.15)
      line = `${pick(g, KEYWORDS)} ${pick(g, g.words)}${pick(g, g.words)} = ${pick(g, g.words)}.${pick(g, g.words)}(${pick(g, g.words)}, ${Math.floor(g.random() * 1000)})`
    else if (r < 0.3) line = `if (${pick(g, g.words)} ${pick(g, ['===', '!==', '<', '>'])} ${pick(g, g.words)}) {`
    else if (r < 0.42) line = `return ${pick(g, g.words)}${pick(g, g.words)}(${pick(g, g.words)})`
    else if (r < 0.5) line = `// ${pick(g, g.words)} ${pick(g, g.words)} ${pick(g, g.words)} ${pick(g, g.words)}`
    else if (r < 0.6) line = `${pick(g, g.words)}: '${pick(g, g.words)}-${pick(g, g.words)}',`
    else if (r < 0.7 && depth > 0) line = '}'
    else
      line = `${pick(g, g.words)}.${pick(g, g.words)}(${pick(g, g.words)}, '${pick(g, g.words)}', ${Math.floor(g.random() * 100)})`
    if (line.endsWith('{')) depth++
    if (line === '}') depth--
    line = '  '.repeat(Math.max(0, depth)) + line
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n') + '\n'
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
/** A source map: a names list and VLQ-looking mappings, the bulk of any real .map file. */
function mapText(g: Gen, bytes: number): string {
  const names = Array.from({length: 200}, () => pick(g, g.words))
  let mappings = ''
  while (mappings.length < bytes * 0.8) {
    const seg = Array.from(
      {length: 4 + Math.floor(g.random() * 2)},
      () => B64[Math.floor(g.random() * (g.random() < 0.7 ? 16 : 64))],
    ).join('')
    mappings += seg + (g.random() < 0.1 ? ';' : ',')
  }
  return JSON.stringify({version: 3, sources: names.slice(0, 20).map((n) => `../src/${n}.js`), names, mappings})
}

function cssText(g: Gen, bytes: number): string {
  let s = ''
  while (s.length < bytes) {
    s += `.${pick(g, g.words)}-${pick(g, g.words)} { ${pick(g, ['margin', 'padding', 'color', 'display', 'font-size'])}: ${Math.floor(g.random() * 40)}px; ${pick(g, ['border', 'width', 'height'])}: ${Math.floor(g.random() * 400)}px; }\n`
  }
  return s
}

function jsonText(g: Gen, bytes: number): string {
  const o: Record<string, string> = {}
  let size = 0
  while (size < bytes) {
    const k = `${pick(g, g.words)}.${pick(g, g.words)}`
    const v = `${pick(g, g.words)} ${pick(g, g.words)} ${pick(g, g.words)}`
    o[k] = v
    size += k.length + v.length + 6
  }
  return JSON.stringify(o, null, 2)
}

function randomBytes(g: Gen, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE(Math.floor(g.random() * 2 ** 32), i)
  return b
}

/** Mostly small (median ~2 KB), some tens of KB, a few hundreds. */
function size(g: Gen): number {
  const r = g.random()
  if (r < 0.85) return 300 + Math.floor(g.random() * 4000)
  if (r < 0.98) return 5000 + Math.floor(g.random() * 40_000)
  return 60_000 + Math.floor(g.random() * 240_000)
}

export interface GeneratedTree {
  root: string
  kind: 'text' | 'mixed' | 'big'
  /** Top-level names that belong in the bundle (everything but node_modules). */
  included: string[]
  includedFiles: number
  includedBytes: number
  excludedFiles: number
}

async function writeAll(root: string, writes: Array<[string, string | Buffer]>): Promise<void> {
  const dirs = new Set(writes.map(([p]) => join(root, p, '..')))
  for (const d of [...dirs].sort()) await mkdir(d, {recursive: true})
  let next = 0
  await Promise.all(
    Array.from({length: 16}, async () => {
      while (next < writes.length) {
        const [p, c] = writes[next++]!
        await writeFile(join(root, p), c)
      }
    }),
  )
}

function appBase(add: (p: string, c: string | Buffer) => void, g: Gen) {
  add(
    'package.json',
    JSON.stringify({name: 'bench-app', version: '1.0.0', scripts: {start: 'node dist/server.js'}}, null, 2),
  )
  add('Procfile', 'web: node dist/server.js\n')
  add(
    '.ebextensions/01-options.config',
    'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    NODE_ENV: production\n',
  )
  add('.platform/hooks/predeploy/01-echo.sh', '#!/bin/sh\necho predeploy\n')
  add('package-lock.json', jsonText(g, 400_000))
}

/** The text-heavy Node app: `files` bundled files (default 20,000). */
export async function generateTextTree(root: string, files = 20_000, seed = 42): Promise<GeneratedTree> {
  const g: Gen = {random: rng(seed), words: []}
  g.words = vocabulary(g.random, 5000)
  const writes: Array<[string, string | Buffer]> = []
  let bytes = 0
  const add = (p: string, c: string | Buffer) => {
    writes.push([p, c])
    bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length
  }
  appBase(add, g)
  // Build output: a few large bundles with their maps, then chunks with maps.
  for (let i = 0; i < 6; i++) {
    const js = jsText(g, 400_000 + Math.floor(g.random() * 1_600_000))
    add(`dist/bundle-${i}.js`, js)
    add(`dist/bundle-${i}.js.map`, mapText(g, js.length * 1.5))
  }
  const n = files - writes.length
  for (let i = 0; i < n; i++) {
    const r = g.random()
    const sub = `m${Math.floor(i / 300)}/d${Math.floor(i / 30) % 10}`
    if (r < 0.3) add(`src/${sub}/${pick(g, g.words)}${i}.js`, jsText(g, size(g)))
    else if (r < 0.5) {
      const js = jsText(g, size(g))
      add(`dist/chunks/${sub}/c${i}.js`, js)
      if (++i < n) add(`dist/chunks/${sub}/c${i - 1}.js.map`, mapText(g, js.length * 1.3))
    } else if (r < 0.62) add(`public/css/${sub}/s${i}.css`, cssText(g, size(g)))
    else if (r < 0.78) add(`locales/${sub}/l${i}.json`, jsonText(g, size(g)))
    else add(`test/${sub}/${pick(g, g.words)}${i}.test.js`, jsText(g, size(g)))
  }
  const included = writes.length
  for (let i = 0; i < 3000; i++) writes.push([`node_modules/pkg${i % 200}/lib/f${i}.js`, jsText(g, 1000)])
  await writeAll(root, writes)
  return {
    root,
    kind: 'text',
    included: [
      '.ebextensions',
      '.platform',
      'Procfile',
      'package.json',
      'package-lock.json',
      'dist',
      'src',
      'public',
      'locales',
      'test',
    ],
    includedFiles: included,
    includedBytes: bytes,
    excludedFiles: 3000,
  }
}

/** An app with binary assets: images, fonts, already-compressed files, and some text. */
export async function generateMixedTree(root: string, files = 6_000, seed = 7): Promise<GeneratedTree> {
  const g: Gen = {random: rng(seed), words: []}
  g.words = vocabulary(g.random, 3000)
  const writes: Array<[string, string | Buffer]> = []
  let bytes = 0
  const add = (p: string, c: string | Buffer) => {
    writes.push([p, c])
    bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length
  }
  appBase(add, g)
  const n = files - writes.length
  for (let i = 0; i < n; i++) {
    const r = g.random()
    const sub = `g${Math.floor(i / 200)}`
    if (r < 0.25)
      add(
        `public/img/${sub}/i${i}.${pick(g, ['png', 'jpg', 'webp'])}`,
        randomBytes(g, 5_000 + Math.floor(g.random() * 120_000)),
      )
    else if (r < 0.3)
      add(
        `public/fonts/${sub}/f${i}.${pick(g, ['woff2', 'woff'])}`,
        randomBytes(g, 20_000 + Math.floor(g.random() * 60_000)),
      )
    else if (r < 0.36)
      add(
        `public/assets/${sub}/a${i}.${pick(g, ['js.gz', 'css.br', 'zip'])}`,
        randomBytes(g, 2_000 + Math.floor(g.random() * 50_000)),
      )
    else if (r < 0.4) add(`public/media/${sub}/v${i}.mp4`, randomBytes(g, 200_000 + Math.floor(g.random() * 800_000)))
    else if (r < 0.75) add(`src/${sub}/m${i}.js`, jsText(g, size(g)))
    else add(`public/css/${sub}/s${i}.css`, cssText(g, size(g)))
  }
  await writeAll(root, writes)
  return {
    root,
    kind: 'mixed',
    included: ['.ebextensions', '.platform', 'Procfile', 'package.json', 'package-lock.json', 'public', 'src'],
    includedFiles: writes.length,
    includedBytes: bytes,
    excludedFiles: 0,
  }
}

/** A minimal app and one `mib`-MiB file of text-like bytes (written in 1 MiB blocks, never held whole). */
export async function generateBigFileTree(root: string, mib: number, seed = 3): Promise<GeneratedTree> {
  const g: Gen = {random: rng(seed), words: []}
  g.words = vocabulary(g.random, 2000)
  await mkdir(join(root, 'data'), {recursive: true})
  await writeFile(join(root, 'package.json'), JSON.stringify({name: 'big', scripts: {start: 'node index.js'}}))
  await writeFile(join(root, 'index.js'), 'console.log(1)\n')
  // 16 distinct 1 MiB blocks repeated: compressible like text, cheap to generate.
  const blocks = Array.from({length: 16}, () => Buffer.from(jsText(g, 1 << 20)).subarray(0, 1 << 20))
  const fh = await open(join(root, 'data', 'big.log'), 'w')
  for (let i = 0; i < mib; i++) await fh.write(blocks[i % 16]!)
  await fh.close()
  return {
    root,
    kind: 'big',
    included: ['package.json', 'index.js', 'data'],
    includedFiles: 3,
    includedBytes: mib * (1 << 20) + 100,
    excludedFiles: 0,
  }
}
