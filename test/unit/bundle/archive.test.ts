import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {collectBundleFiles} from '../../../src/bundle/collect.ts'
import {inspectArchive} from '../../../src/bundle/archive.ts'
import {writeBundle} from '../../../src/bundle/write.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import {cleanup, makeTree, MINIMAL_APP} from './helpers.ts'

/** Writes a zip with names exactly as given (Python's zipfile keeps backslashes), independent of our writer. */
function pythonZip(out: string, entries: Record<string, string>) {
  const script = `import sys, json, zipfile
z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)
for name, data in json.loads(sys.argv[2]).items(): z.writestr(name, data)
z.close()`
  execFileSync('python3', ['-c', script, out, JSON.stringify(entries)])
}

describe('inspectArchive', () => {
  it('accepts a zip made by Info-ZIP from inside the app folder, and validates its configs', async () => {
    const dir = await makeTree({...MINIMAL_APP, '.ebextensions/a.config': 'option_settings:\n  aws:nope:\n    A: b\n'})
    try {
      execFileSync('zip', ['-qr', `${dir}.zip`, '.'], {cwd: dir})
      const r = await inspectArchive(`${dir}.zip`)
      assert.deepEqual(
        r.entries
          .filter((e) => e.kind === 'file')
          .map((e) => e.path)
          .sort(),
        ['.ebextensions/a.config', 'index.js', 'package.json'],
      )
      assert.deepEqual(
        r.errors.map((e) => e.code),
        ['config-namespace'],
      )
    } finally {
      await cleanup(dir)
    }
  })

  it('reads back our own zips: modes and content', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.platform/hooks/predeploy/a.sh': {content: '#!/bin/sh\n', mode: 0o600},
    })
    try {
      await writeBundle((await collectBundleFiles(dir)).files, `${dir}.zip`)
      const r = await inspectArchive(`${dir}.zip`)
      assert.deepEqual(r.errors, [])
      const hook = r.entries.find((e) => e.path === '.platform/hooks/predeploy/a.sh')
      assert.equal(hook?.mode, 0o100755)
    } finally {
      await cleanup(dir)
    }
  })

  it('rejects a zip whose content sits in a top-level parent folder', async () => {
    const dir = await makeTree({'myapp/package.json': '{}', 'myapp/index.js': 'x'})
    try {
      execFileSync('zip', ['-qr', `${dir}.zip`, 'myapp'], {cwd: dir})
      const r = await inspectArchive(`${dir}.zip`)
      assert.deepEqual(
        r.errors.map((e) => e.code),
        ['archive-layout', 'no-entry-point'],
      )
      assert.match(r.errors.find((e) => e.code === 'archive-layout')!.message, /inside the folder "myapp\/"/)
    } finally {
      await cleanup(dir)
    }
  })

  it('rejects backslash separators and paths that escape the app', async () => {
    const dir = await makeTree({})
    try {
      pythonZip(`${dir}.zip`, {'package.json': '{}', 'src\\index.js': 'x', '../evil.js': 'x'})
      const r = await inspectArchive(`${dir}.zip`)
      const layout = r.errors.filter((e) => e.code === 'archive-layout').map((e) => e.message)
      assert.equal(layout.length, 2)
      assert.match(layout[0]!, /"src\\index\.js" uses backslashes/)
      assert.match(layout[1]!, /"\.\.\/evil\.js" points outside/)
    } finally {
      await cleanup(dir)
    }
  })

  it('reports the archive size against an injected limit', async () => {
    const dir = await makeTree({})
    try {
      pythonZip(`${dir}.zip`, {'package.json': '{}'})
      const r = await inspectArchive(`${dir}.zip`, {maxBytes: 10})
      assert.deepEqual(
        r.errors.map((e) => e.code),
        ['too-large'],
      )
    } finally {
      await cleanup(dir)
    }
  })

  it('fails with bad input on a file that is not a zip, or is missing', async () => {
    const dir = await makeTree({})
    try {
      await writeFile(join(dir, 'not.zip'), 'hello, not a zip')
      await assert.rejects(inspectArchive(join(dir, 'not.zip')), (e: unknown) => {
        assert.ok(e instanceof EbwsError)
        assert.equal(e.exitCode, 2)
        assert.match(e.message, /not a readable zip/)
        return true
      })
      await assert.rejects(
        inspectArchive(join(dir, 'missing.zip')),
        (e: unknown) => e instanceof EbwsError && e.exitCode === 2,
      )
    } finally {
      await cleanup(dir)
    }
  })
})
