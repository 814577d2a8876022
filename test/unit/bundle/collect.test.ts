import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdir, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {collectBundleFiles} from '../../../src/bundle/collect.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import {cleanup, makeTree, MINIMAL_APP} from './helpers.ts'

const paths = async (dir: string, options = {}) => (await collectBundleFiles(dir, options)).files.map((f) => f.path)

describe('collectBundleFiles: ignore rules', () => {
  it('uses .gitignore with negation, and always leaves out .git, .elasticbeanstalk, .ebws-local and the root node_modules', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.gitignore': '*.log\n!keep.log\nbuild/\n',
      'a.log': 'x',
      'keep.log': 'x',
      'build/out.js': 'x',
      '.git/HEAD': 'ref',
      '.elasticbeanstalk/config.yml': 'x',
      'node_modules/dep/index.js': 'x',
      'lib/node_modules/nested.js': 'x',
      'vendor/node_modules/ignored.js': 'x',
      '.ebws-local/tls/localhost.key': 'x',
      'src/app.js': 'x',
    })
    try {
      await writeFile(join(dir, '.gitignore'), '*.log\n!keep.log\nbuild/\nvendor/node_modules/\n')
      const r = await collectBundleFiles(dir)
      assert.equal(r.ignoreFile, '.gitignore')
      // Deeper node_modules folders are the ignore rules' business, like any folder (issue 12 item 6).
      assert.deepEqual(
        r.files.map((f) => f.path),
        ['.gitignore', 'index.js', 'keep.log', 'lib/node_modules/nested.js', 'package.json', 'src/app.js'],
      )
      assert.deepEqual(r.leftOut, ['.ebws-local'])
    } finally {
      await cleanup(dir)
    }
  })

  it('includeNodeModules bundles node_modules', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'node_modules/dep/index.js': 'x'})
    try {
      assert.ok((await paths(dir, {includeNodeModules: true})).includes('node_modules/dep/index.js'))
      assert.ok(!(await paths(dir)).includes('node_modules/dep/index.js'))
    } finally {
      await cleanup(dir)
    }
  })

  it('with .ebignore, .gitignore files are not read at all (root or nested)', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.ebignore': 'secret.txt\n',
      '.gitignore': 'dist/\n',
      'dist/bundle.js': 'x',
      'secret.txt': 'x',
      'sub/.gitignore': '*.tmp\n',
      'sub/a.tmp': 'x',
    })
    try {
      const r = await collectBundleFiles(dir)
      assert.equal(r.ignoreFile, '.ebignore')
      const p = r.files.map((f) => f.path)
      assert.ok(p.includes('dist/bundle.js'), 'dist/ is only in .gitignore, which .ebignore replaces')
      assert.ok(p.includes('sub/a.tmp'))
      assert.ok(!p.includes('secret.txt'))
    } finally {
      await cleanup(dir)
    }
  })

  it('nested .gitignore files apply to their folder and can re-include what a parent ignores', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.gitignore': '*.txt\n',
      'a.txt': 'x',
      'docs/.gitignore': '!*.txt\n*.draft\n',
      'docs/readme.txt': 'x',
      'docs/x.draft': 'x',
      'other/x.draft': 'x',
    })
    try {
      const p = await paths(dir)
      assert.ok(!p.includes('a.txt'))
      assert.ok(p.includes('docs/readme.txt'), 'the deeper .gitignore re-includes *.txt')
      assert.ok(!p.includes('docs/x.draft'))
      assert.ok(p.includes('other/x.draft'), 'docs/.gitignore does not apply outside docs/')
    } finally {
      await cleanup(dir)
    }
  })

  it('.gitignore cannot drop .ebextensions or .platform, but .ebignore can', async () => {
    const files = {
      ...MINIMAL_APP,
      '.ebextensions/a.config': 'option_settings: {}\n',
      '.platform/hooks/predeploy/01.sh': '#!/bin/sh\n',
    }
    const git = await makeTree({...files, '.gitignore': '.*\n!.gitignore\n'})
    const eb = await makeTree({...files, '.ebignore': '.platform/\n'})
    try {
      const g = await paths(git)
      assert.ok(g.includes('.ebextensions/a.config') && g.includes('.platform/hooks/predeploy/01.sh'))
      const e = await paths(eb)
      assert.ok(e.includes('.ebextensions/a.config'))
      assert.ok(!e.includes('.platform/hooks/predeploy/01.sh'))
    } finally {
      await cleanup(git)
      await cleanup(eb)
    }
  })

  it('lists empty folders, sorts paths, and uses / separators', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'uploads/': '', 'b/z.js': 'x', 'b/a/y.js': 'x'})
    try {
      const r = await collectBundleFiles(dir)
      assert.deepEqual(
        r.files.map((f) => [f.path, f.kind]),
        [
          ['b/a/y.js', 'file'],
          ['b/z.js', 'file'],
          ['index.js', 'file'],
          ['package.json', 'file'],
          ['uploads', 'directory'],
        ],
      )
    } finally {
      await cleanup(dir)
    }
  })

  it('rejects a missing directory as bad input', async () => {
    await assert.rejects(
      collectBundleFiles('/nonexistent/ebws-app'),
      (e: unknown) => e instanceof EbwsError && e.exitCode === 2,
    )
  })
})

describe('collectBundleFiles: symlinks', () => {
  it('follows links inside the app; refuses links outside it (SECRET_IN_BUNDLE) unless --allow-link-outside names them', async () => {
    const outside = await makeTree({'shared.js': 'x', '.aws/credentials': '[default]\naws_secret_access_key = x\n'})
    const dir = await makeTree({...MINIMAL_APP, 'lib/real.js': 'x'})
    try {
      await symlink('lib', join(dir, 'linked-lib'))
      await symlink(join(outside, 'shared.js'), join(dir, 'shared.js'))
      await symlink('/etc/passwd', join(dir, 'passwd'))
      await symlink(join(outside, '.aws'), join(dir, 'creds'))
      await assert.rejects(collectBundleFiles(dir), (e: unknown) => {
        assert.ok(e instanceof EbwsError)
        assert.equal(e.code, 'SECRET_IN_BUNDLE')
        assert.equal(e.exitCode, 2)
        assert.deepEqual(e.details?.paths, ['creds', 'passwd', 'shared.js'])
        assert.match(e.message, /passwd: a symlink to \/etc\/passwd, outside the app folder/)
        return true
      })
      await rm(join(dir, 'passwd'))
      await rm(join(dir, 'creds'))
      const r = await collectBundleFiles(dir, {allowLinkOutside: ['./shared.js']})
      const p = r.files.map((f) => [f.path, f.kind])
      assert.ok(p.some(([a, k]) => a === 'linked-lib/real.js' && k === 'file'))
      assert.ok(p.some(([a, k]) => a === 'shared.js' && k === 'file'))
      assert.equal(r.warnings.length, 1)
      assert.match(r.warnings[0]!, /shared\.js links outside the app/)
    } finally {
      await cleanup(dir)
      await cleanup(outside)
    }
  })

  it('store mode keeps links as links and warns when one would dangle', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'lib/real.js': 'x'})
    try {
      await symlink('lib/real.js', join(dir, 'alias.js'))
      await symlink('/etc/hostname', join(dir, 'abs'))
      const r = await collectBundleFiles(dir, {symlinks: 'store'})
      const alias = r.files.find((f) => f.path === 'alias.js')
      assert.deepEqual([alias?.kind, alias?.linkTarget], ['symlink', 'lib/real.js'])
      assert.equal(r.warnings.length, 1)
      assert.match(r.warnings[0]!, /abs is a symlink to \/etc\/hostname, outside the app/)
    } finally {
      await cleanup(dir)
    }
  })

  it('reports loops (direct and through two links) and broken links as one bad-input error', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'a/x.js': 'x', 'b/y.js': 'x'})
    try {
      await symlink('..', join(dir, 'a/up'))
      await symlink('../b', join(dir, 'a/to-b'))
      await symlink('../a', join(dir, 'b/to-a'))
      await symlink('missing.js', join(dir, 'broken.js'))
      await symlink('self', join(dir, 'self'))
      await assert.rejects(collectBundleFiles(dir), (e: unknown) => {
        assert.ok(e instanceof EbwsError)
        assert.equal(e.exitCode, 2)
        assert.match(e.message, /a\/up is a symlink loop/)
        assert.match(e.message, /a\/to-b\/to-a is a symlink loop/)
        assert.match(e.message, /broken\.js is a broken symlink/)
        assert.match(e.message, /self is a symlink loop/)
        return true
      })
    } finally {
      await cleanup(dir)
    }
  })

  it('a followed link inside an excluded folder is never looked at', async () => {
    const dir = await makeTree({...MINIMAL_APP})
    try {
      await mkdir(join(dir, 'node_modules'))
      await symlink('missing', join(dir, 'node_modules/broken'))
      assert.deepEqual(await paths(dir), ['index.js', 'package.json'])
    } finally {
      await cleanup(dir)
    }
  })
})
