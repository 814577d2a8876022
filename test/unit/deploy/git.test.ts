import {describe, it, after} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gitRef, gitState} from '../../../src/deploy/git.ts'

describe('gitState: the label names HEAD only when the bundled files are HEAD', () => {
  const root = mkdtempSync(join(tmpdir(), 'ebws-git-test-'))
  after(() => rmSync(root, {recursive: true, force: true}))
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    })
  // The app lives in a sub-folder, as sample-app does: paths from git status are relative to the repository root.
  const app = join(root, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{}')
  writeFileSync(join(app, 'app.js'), '1')
  writeFileSync(join(root, 'README.md'), 'outside the app')
  git('init', '-q')
  git('add', '.')
  git('commit', '-qm', 'init')
  const sha = git('rev-parse', '--short=7', 'HEAD').trim()
  const bundled = new Set(['package.json', 'app.js', 'new.js'])

  it('clean tree: HEAD', async () => {
    const g = await gitState(app, bundled)
    assert.deepEqual(g, {sha, dirty: false, changed: []})
    assert.equal(gitRef(g!), sha)
  })

  it('a change outside the app folder, or to a file the bundle leaves out, is not dirty', async () => {
    writeFileSync(join(root, 'README.md'), 'changed')
    mkdirSync(join(app, '.ebws-local'), {recursive: true})
    writeFileSync(join(app, '.ebws-local/state.json'), '{}')
    assert.equal((await gitState(app, bundled))!.dirty, false)
  })

  it('a modified, an untracked or a deleted bundled file is dirty, and says which', async () => {
    writeFileSync(join(app, 'app.js'), '2')
    let g = (await gitState(app, bundled))!
    assert.deepEqual([g.dirty, g.changed], [true, ['app.js']])
    assert.equal(gitRef(g), `${sha}-dirty`)
    git('checkout', '--', 'app/app.js')
    writeFileSync(join(app, 'new.js'), 'x')
    g = (await gitState(app, bundled))!
    assert.deepEqual(g.changed, ['new.js'])
    unlinkSync(join(app, 'new.js'))
    unlinkSync(join(app, 'package.json'))
    g = (await gitState(app, new Set(['app.js'])))!
    assert.deepEqual(g.changed, ['package.json'])
    git('checkout', '--', 'app/package.json')
  })

  it('outside a git repository: undefined', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'ebws-nogit-'))
    try {
      assert.equal(await gitState(plain, new Set()), undefined)
    } finally {
      rmSync(plain, {recursive: true, force: true})
    }
  })
})
