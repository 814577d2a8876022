import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFile, stat, symlink, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {collectBundleFiles} from '../../../src/bundle/collect.ts'
import type {BundleFile} from '../../../src/bundle/collect.ts'
import {writeBundle} from '../../../src/bundle/write.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import {cleanup, makeTree, MINIMAL_APP, unzipTest, zipinfo} from './helpers.ts'

async function bundle(dir: string, options: Parameters<typeof collectBundleFiles>[1] = {}, write = {}) {
  const listing = await collectBundleFiles(dir, options)
  return writeBundle(listing.files, join(dir, '..', `${dir.split('/').pop()}.zip`), write)
}

describe('writeBundle: entries', () => {
  it('stores / separated names at the zip root with 0644/0755 modes, and makes every hook executable', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      'bin/run': {content: '#!/bin/sh\n', mode: 0o700},
      'src/deep/file.js': {content: 'x', mode: 0o600},
      '.platform/hooks/prebuild/01-setup.sh': {content: '#!/bin/sh\n', mode: 0o644},
      '.platform/hooks/postdeploy/02-ok.sh': {content: '#!/bin/sh\n', mode: 0o755},
      '.platform/confighooks/predeploy/03.sh': {content: '#!/bin/sh\n', mode: 0o600},
      '.platform/nginx/conf.d/ws.conf': {content: 'x', mode: 0o644},
      'empty/': '',
    })
    try {
      const r = await bundle(dir)
      unzipTest(r.path)
      const info = new Map(zipinfo(r.path).map((e) => [e.name, e.perms]))
      assert.deepEqual(Object.fromEntries(info), {
        '.platform/confighooks/predeploy/03.sh': '-rwxr-xr-x',
        '.platform/hooks/postdeploy/02-ok.sh': '-rwxr-xr-x',
        '.platform/hooks/prebuild/01-setup.sh': '-rwxr-xr-x',
        '.platform/nginx/conf.d/ws.conf': '-rw-r--r--',
        'bin/run': '-rwxr-xr-x',
        'empty/': 'drwxr-xr-x',
        'index.js': '-rw-r--r--',
        'package.json': '-rw-r--r--',
        'src/deep/file.js': '-rw-r--r--',
      })
      assert.deepEqual(r.madeExecutable, [
        '.platform/confighooks/predeploy/03.sh',
        '.platform/hooks/prebuild/01-setup.sh',
      ])
      assert.equal(r.entries, 9)
      assert.equal(r.sizeBytes, (await stat(r.path)).size)
    } finally {
      await cleanup(dir)
    }
  })

  it('round-trips content through unzip, deflating what compresses and storing what does not', async () => {
    const text = 'socket.emit("hello")\n'.repeat(500)
    const dir = await makeTree({...MINIMAL_APP, 'big.js': text, 'img.png': 'not really a png but stored by extension'})
    try {
      const r = await bundle(dir)
      const methods = new Map(zipinfo(r.path).map((e) => [e.name, e.method]))
      assert.equal(methods.get('big.js'), 'defN')
      assert.equal(methods.get('img.png'), 'stor')
      assert.equal(execFileSync('unzip', ['-p', r.path, 'big.js'], {encoding: 'utf8'}), text)
    } finally {
      await cleanup(dir)
    }
  })

  it('follows symlinks by default: the entry holds the target content', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'lib/real.js': 'real content'})
    try {
      await symlink('lib/real.js', join(dir, 'alias.js'))
      const r = await bundle(dir)
      const alias = zipinfo(r.path).find((e) => e.name === 'alias.js')
      assert.equal(alias?.perms, '-rw-r--r--')
      assert.equal(execFileSync('unzip', ['-p', r.path, 'alias.js'], {encoding: 'utf8'}), 'real content')
    } finally {
      await cleanup(dir)
    }
  })

  it('stores symlinks as symlinks on request, with the link text as content (never empty)', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'lib/real.js': 'real content'})
    try {
      await symlink('lib/real.js', join(dir, 'alias.js'))
      await symlink('lib', join(dir, 'alias-dir'))
      const r = await bundle(dir, {symlinks: 'store'})
      const info = new Map(zipinfo(r.path).map((e) => [e.name, e.perms]))
      assert.equal(info.get('alias.js'), 'lrwxrwxrwx')
      assert.equal(info.get('alias-dir'), 'lrwxrwxrwx')
      assert.equal(execFileSync('unzip', ['-p', r.path, 'alias.js'], {encoding: 'utf8'}), 'lib/real.js')
    } finally {
      await cleanup(dir)
    }
  })

  it('reports files whose content holds a private key', async () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n'
    const dir = await makeTree({...MINIMAL_APP, 'config/deploy.txt': key, 'docs/pem.md': 'a PRIVATE KEY----- mention'})
    try {
      const r = await bundle(dir)
      assert.deepEqual(r.privateKeyFiles, ['config/deploy.txt'])
    } finally {
      await cleanup(dir)
    }
  })
})

describe('writeBundle: determinism', () => {
  it('the same tree gives byte-identical zips, whatever the mtimes and the number of pool lanes', async () => {
    const files: Record<string, string> = {...MINIMAL_APP}
    for (let i = 0; i < 300; i++) files[`src/m${i % 7}/f${i}.js`] = `module.exports = ${i}\n`.repeat(i % 50)
    // Files of 32 KiB and more go to the thread pool when there are lanes (concurrency > 1), in sizes up and down.
    for (let i = 0; i < 12; i++)
      files[`dist/chunk${i}.js`] = `export const v${i} = [${i}, "${'ab'.repeat(i)}"]\n`.repeat(
        1500 + ((i * 7919) % 12) * 900,
      )
    const dir = await makeTree(files)
    try {
      const listing = await collectBundleFiles(dir)
      const a = await writeBundle(listing.files, `${dir}-a.zip`, {concurrency: 1})
      await utimes(join(dir, 'src/m1/f1.js'), new Date(2001, 1, 1), new Date(2001, 1, 1))
      const b = await writeBundle((await collectBundleFiles(dir)).files, `${dir}-b.zip`, {concurrency: 3})
      assert.equal(a.sha256, b.sha256)
      assert.equal(a.contentHash, b.contentHash)
      assert.deepEqual(await readFile(a.path), await readFile(b.path))

      await writeFile(join(dir, 'src/m1/f1.js'), 'changed')
      const c = await writeBundle((await collectBundleFiles(dir)).files, `${dir}-c.zip`)
      assert.notEqual(c.sha256, a.sha256)
      assert.notEqual(c.contentHash, a.contentHash)
      await cleanup(`${dir}-a.zip`)
      await cleanup(`${dir}-b.zip`)
      await cleanup(`${dir}-c.zip`)
    } finally {
      await cleanup(dir)
    }
  })

  it('the content hash ignores the compression level; the zip hash does not', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'a.js': 'let x = 1\n'.repeat(200)})
    try {
      const files = (await collectBundleFiles(dir)).files
      const fast = await writeBundle(files, `${dir}-1.zip`, {level: 1})
      const stored = await writeBundle(files, `${dir}-0.zip`, {level: 0})
      assert.equal(fast.contentHash, stored.contentHash)
      assert.notEqual(fast.sha256, stored.sha256)
      await cleanup(fast.path)
      await cleanup(stored.path)
    } finally {
      await cleanup(dir)
    }
  })

  it('a mode change (exec bit) changes the content hash', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'run.sh': {content: 'x', mode: 0o644}})
    try {
      const a = await bundle(dir)
      execFileSync('chmod', ['+x', join(dir, 'run.sh')])
      const b = await bundle(dir)
      assert.notEqual(a.contentHash, b.contentHash)
    } finally {
      await cleanup(dir)
    }
  })
})

describe('writeBundle: limits and large files', () => {
  it('stops past maxBytes with a bad-input error and removes the partial zip', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'blob.png': 'x'.repeat(200_000)})
    const out = `${dir}.zip`
    try {
      const files = (await collectBundleFiles(dir)).files
      await assert.rejects(writeBundle(files, out, {maxBytes: 100_000}), (e: unknown) => {
        assert.ok(e instanceof EbwsError)
        assert.equal(e.exitCode, 2)
        assert.match(e.message, /over the 0\.10 MB limit/)
        return true
      })
      await assert.rejects(stat(out), {code: 'ENOENT'})
    } finally {
      await cleanup(dir)
    }
  })

  it('streams files above inlineLimit and patches their header (checked by unzip -t)', async () => {
    const big = 'streamed line of a large file\n'.repeat(10_000)
    const dir = await makeTree({...MINIMAL_APP, 'large.js': big, 'z.js': 'after'})
    try {
      const r = await bundle(dir, {}, {inlineLimit: 1000})
      unzipTest(r.path)
      assert.equal(execFileSync('unzip', ['-p', r.path, 'large.js'], {encoding: 'utf8', maxBuffer: 1 << 24}), big)
      const inline = await bundle(dir)
      assert.equal(r.contentHash, inline.contentHash, 'streaming does not change the content hash')
      assert.equal(r.sha256, inline.sha256, 'nor the zip bytes: zlib output does not depend on chunking')
    } finally {
      await cleanup(dir)
    }
  })

  it('writes the ZIP64 end record past 65,535 entries, readable by unzip', async () => {
    // Directory entries need no files on disk: 70,000 of them test the entry-count path quickly.
    const files: BundleFile[] = Array.from({length: 70_000}, (_, i) => ({
      path: `d${String(i).padStart(6, '0')}`,
      kind: 'directory',
      source: '/nonexistent',
    }))
    const dir = await makeTree({})
    const out = `${dir}.zip`
    try {
      const r = await writeBundle(files, out)
      assert.equal(r.entries, 70_000)
      const listed = execFileSync('unzip', ['-Z1', out], {encoding: 'utf8', maxBuffer: 1 << 24})
        .trim()
        .split('\n')
      assert.equal(listed.length, 70_000)
      assert.equal(listed[69_999], 'd069999/')
    } finally {
      await cleanup(dir)
    }
  })

  it('bounds the bytes in flight by memoryBudget, pool lanes included: batches read at most budget / 16, large files stream, same bytes as unbounded', async () => {
    // 240 files of 96 KiB (incompressible, so compressed = read) and one 24 MiB file, under a 4 MiB budget. The
    // writer before the budget took 64 files per batch whatever their size (6 MiB per batch here, several in
    // flight) and read every file up to 16 MiB whole.
    const random = (n: number, seed: number) => {
      const b = Buffer.alloc(n)
      let x = seed
      for (let i = 0; i < n; i += 4) b.writeUInt32LE((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), i)
      return b
    }
    const dir = await makeTree(MINIMAL_APP)
    try {
      for (let i = 0; i < 240; i++)
        await writeFile(join(dir, `asset-${String(i).padStart(3, '0')}.bin`), random(96 * 1024, i + 1))
      await writeFile(join(dir, 'big.bin'), Buffer.alloc(24 << 20, 'x'))
      const budget = 4 << 20
      // This thread alone reads every file, in batches of at most budget / 16.
      const alone = await bundle(dir, {}, {memoryBudget: budget, concurrency: 1})
      assert.ok(alone.peakBytesInFlight <= budget, `peak ${alone.peakBytesInFlight} > budget ${budget}`)
      assert.ok(
        alone.largestBatchReadBytes > 0 && alone.largestBatchReadBytes <= budget / 16,
        `a batch read ${alone.largestBatchReadBytes} bytes`,
      )
      unzipTest(alone.path)
      assert.equal(alone.entries, 243)
      // With pool lanes (each holds a file's read and output buffers until it is written): within the budget too.
      const pooled = await bundle(dir, {}, {memoryBudget: budget, concurrency: 3})
      assert.ok(pooled.peakBytesInFlight <= budget, `pooled peak ${pooled.peakBytesInFlight} > budget ${budget}`)
      assert.equal(pooled.sha256, alone.sha256, 'the thread pool deflates to the same bytes')
      const unbounded = await bundle(dir, {}, {memoryBudget: 1 << 30, concurrency: 1})
      assert.ok(unbounded.largestBatchReadBytes > budget / 16, 'the bound is what made the batches small')
      assert.equal(unbounded.sha256, alone.sha256, 'deterministic: the budget never changes the bytes')
    } finally {
      await cleanup(dir)
    }
  })
})

/** Text whose tail varies from input to input: where a stale byte of a reused window would change zlib's match. */
function deflateInputs(): Buffer[] {
  let x = 7
  const word = () =>
    ['socket', 'emit', 'on', 'room', 'join', 'ack', 'data', 'io'][(x = (x * 1103515245 + 12345) >>> 0) % 8]
  const text = (n: number) => {
    let s = ''
    while (s.length < n) s += `${word()}.${word()}(${x % 97}) `
    return Buffer.from(s.slice(0, n))
  }
  // Sizes up and down (a shorter input after a longer one is where a stale window would show), some past the
  // 64 KiB window.
  const inputs = [70_000, 70_000, 100_000, 12, 1, 4096, 4096]
  for (let i = 0; i < 300; i++) inputs.push(300 + ((i * 7919) % 30_000))
  const texts = inputs.map(text)
  const random = Buffer.alloc(3000)
  for (let i = 0; i < random.length; i++) random[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24
  return [...texts, random, ...texts.slice().reverse()]
}

describe('Deflater: one reused zlib stream, the bytes of a fresh one', () => {
  it('gives deflateRawSync output for every input, in any order of sizes, and -1 when deflate does not pay', async () => {
    const {Deflater} = await import('../../../src/bundle/deflate.ts')
    const {deflateRawSync} = await import('node:zlib')
    const inputs = deflateInputs()
    for (const level of [1, 4, 9]) {
      const d = new Deflater(level)
      const out = Buffer.alloc(200_000)
      for (const input of inputs) {
        const expected = deflateRawSync(input, {level})
        const n = d.deflateInto(input, out, 17, input.length)
        if (expected.length >= input.length) assert.equal(n, -1, `level ${level}, ${input.length} bytes: stored`)
        else assert.deepEqual(out.subarray(17, 17 + n), expected, `level ${level}, ${input.length} bytes`)
      }
      // An output that needs exactly the space given does not fit (deflate must be smaller than the data).
      const exact = deflateRawSync(inputs[0]!, {level})
      assert.equal(d.deflateInto(inputs[0]!, out, 0, exact.length), -1)
      assert.equal(d.deflateInto(inputs[0]!, out, 0, exact.length + 1), exact.length)
      d.close()
    }
  })

  it("on the thread pool (PoolDeflater) too, into the caller's buffer", async () => {
    const {PoolDeflater} = await import('../../../src/bundle/deflate.ts')
    const {deflateRawSync} = await import('node:zlib')
    const inputs = deflateInputs()
    for (const level of [1, 4]) {
      const d = new PoolDeflater(level)
      const out = Buffer.alloc(200_000)
      const deflate = (input: Buffer, limit: number) =>
        new Promise<number>((resolve, reject) =>
          d.deflateInto(input, out, limit, (err, n) => (err ? reject(err) : resolve(n))),
        )
      for (const input of inputs) {
        const expected = deflateRawSync(input, {level})
        const n = await deflate(input, input.length)
        if (expected.length >= input.length) assert.equal(n, -1, `level ${level}, ${input.length} bytes: stored`)
        else assert.deepEqual(out.subarray(0, n), expected, `level ${level}, ${input.length} bytes`)
      }
      const exact = deflateRawSync(inputs[0]!, {level})
      assert.equal(await deflate(inputs[0]!, exact.length), -1)
      assert.equal(await deflate(inputs[0]!, exact.length + 1), exact.length)
      d.close()
    }
  })

  it('chunk by chunk (ChunkDeflater, large files): the bytes of the whole', async () => {
    const {ChunkDeflater} = await import('../../../src/bundle/deflate.ts')
    const {deflateRawSync} = await import('node:zlib')
    const whole = Buffer.concat(deflateInputs())
    const d = new ChunkDeflater(4, Buffer.alloc(1000)) // a small output buffer: many pieces per chunk
    const pieces: Buffer[] = []
    const sink = (p: Buffer) => pieces.push(Buffer.from(p))
    for (let at = 0; at < whole.length; at += 70_001) await d.write(whole.subarray(at, at + 70_001), false, sink)
    await d.write(Buffer.alloc(0), true, sink)
    d.close()
    assert.deepEqual(Buffer.concat(pieces), deflateRawSync(whole, {level: 4}))
  })
})
