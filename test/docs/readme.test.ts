// The README's (and docs/*.md's) shell blocks, run as printed. Convention (README, "Testing"): a ```sh block runs,
// line by line under `bash -e`, unless the line just above it is `<!-- not run: REASON -->` (it needs a real AWS
// account or domain, or it changes the machine) or `<!-- synopsis -->` (a usage line with [optional] parts and
// a|b choices). Every `ebws` command of every block, run or not, must name a real command and real flags.
//
// Blocks run against the local AWS bench, in a temp folder, with `ebws` and `npx ebws` on PATH running this
// checkout's built CLI (bin/run.js on the project's Node 24). The placeholders exist on the bench: environments
// my-env (CLB) and my-alb-env (ALB), ACM certificates for app.example.com and www.example.com, the Route 53 zone
// example.com, an app folder ./app; $CERTIFICATE_ARN and $BUILD_NUMBER are set. `ebws local up` uses its default
// ports (8443, 8080, 3000, ...), so the whole file runs in a network namespace of its own (unshare -rn): nothing
// else on the machine can hold those ports, and nothing started here is reachable from outside.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {CreateHostedZoneCommand, Route53Client} from '@aws-sdk/client-route-53'

import {createCertificate} from '../bench/certificates.ts'
import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {ROOT, tempDir} from '../helpers/cli.ts'
import {localDown} from '../../src/local/run.ts'

const SELF = fileURLToPath(import.meta.url)
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]

interface Block {
  file: string
  line: number
  text: string
  kind: 'run' | 'not-run' | 'synopsis'
  reason?: string
}

/** The ```sh blocks of a Markdown file, each with the marker on the line above it (blank lines skipped). */
export function shellBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue
    const end = lines.indexOf('```', i + 1)
    assert.ok(end > i, `${file}:${i + 1}: unclosed block`)
    let above = i - 1
    while (above >= 0 && lines[above]!.trim() === '') above--
    const marker = lines[above] ?? ''
    const notRun = /^<!-- not run: (.+) -->$/.exec(marker)
    const kind = notRun ? 'not-run' : marker === '<!-- synopsis -->' ? 'synopsis' : 'run'
    assert.ok(!marker.startsWith('<!--') || kind !== 'run', `${file}:${above + 1}: unknown marker ${marker}`)
    blocks.push({
      file,
      line: i + 1,
      text: lines.slice(i + 1, end).join('\n'),
      kind,
      ...(notRun ? {reason: notRun[1]} : {}),
    })
    i = end
  }
  return blocks
}

const blocks = DOCS.flatMap((f) => shellBlocks(f, readFileSync(join(ROOT, f), 'utf8')))

interface ManifestFlag {
  char?: string
  allowNo?: boolean
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, ManifestFlag>}>
}

/** Each `ebws …` invocation of a block: the command id and the flags it uses. */
function invocations(text: string): Array<{line: string; id: string | undefined; flags: string[]}> {
  const out: Array<{line: string; id: string | undefined; flags: string[]}> = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s#.*$/, '')
    for (const m of line.matchAll(/(?:^|[\s;&(])ebws((?:\s+[^\s;&|]+)*)/g)) {
      const words = m[1]!.trim().split(/\s+/).filter(Boolean)
      const positional = words.filter((w) => /^[a-z][a-z-]*$/.test(w))
      const id = [positional.slice(0, 2).join(':'), positional[0]].find((c) => c && manifest.commands[c])
      const flags = words.map((w) => /^\[?(--?[a-z][a-z-]*)/.exec(w)?.[1]).filter((f): f is string => !!f)
      out.push({line: raw.trim(), id, flags})
    }
  }
  return out
}

function knownFlag(id: string, flag: string): boolean {
  const flags = manifest.commands[id]!.flags
  if (flag.startsWith('--')) {
    const name = flag.slice(2)
    return name in flags || (name.startsWith('no-') && !!flags[name.slice(3)]?.allowNo) || name === 'help'
  }
  return Object.values(flags).some((f) => f.char === flag.slice(1)) || flag === '-h'
}

describe('README and docs shell blocks', () => {
  it('every block is run, or marked not run with a reason, or a synopsis', () => {
    assert.ok(blocks.filter((b) => b.kind === 'run').length >= 8, 'the README keeps its runnable blocks')
    for (const b of blocks)
      if (b.kind === 'not-run') assert.ok(b.reason!.length > 10, `${b.file}:${b.line}: say why it is not run`)
    for (const b of blocks.filter((x) => x.kind === 'run'))
      assert.doesNotMatch(
        b.text,
        /\bnode bin\/run\.js|\[--|\w\|\w|\.\.\.(\s|$)/,
        `${b.file}:${b.line}: runnable blocks hold no synopsis or node bin/run.js`,
      )
  })

  it("every ebws command in every block names a real command and that command's flags", () => {
    let checked = 0
    for (const b of blocks)
      for (const inv of invocations(b.text)) {
        assert.ok(inv.id, `${b.file}:${b.line}: no such command: ${inv.line}`)
        for (const f of inv.flags)
          assert.ok(
            knownFlag(inv.id, f),
            `${b.file}:${b.line}: ${inv.id.replace(':', ' ')} has no flag ${f}: ${inv.line}`,
          )
        checked++
      }
    assert.ok(checked >= 30, `checked ${checked} commands`)
  })

  if (!process.env.EBWS_DOCS_NETNS) {
    it('the runnable blocks run as printed (in a network namespace of their own, on the local AWS bench)', async () => {
      const r = await new Promise<{code: number | null; out: string}>((resolve, reject) => {
        const child = spawn(
          'unshare',
          [
            '-rn',
            'sh',
            '-c',
            'PATH="$PATH:/usr/sbin:/sbin" ip link set lo up && exec "$0" --test-reporter=spec "$1"',
            process.execPath,
            SELF,
          ],
          {
            // Without NODE_TEST_CONTEXT the inner run reports as a test run of its own (spec text, not the runner protocol).
            env: {
              ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
              EBWS_DOCS_NETNS: '1',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        let out = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (out += d.toString()))
        const timer = setTimeout(() => child.kill('SIGTERM'), 150_000)
        child.on('error', reject)
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({code, out})
        })
      })
      assert.equal(r.code, 0, r.out)
      assert.match(r.out, /ℹ pass [1-9]/, r.out)
    })
    return
  }

  describe('run as printed', () => {
    let bench: FullBench
    let env: Record<string, string>
    let r53: Route53Client
    let certificateArn: string
    before(async () => {
      ;({bench, env} = await startCliBench())
      r53 = new Route53Client({
        region: bench.region,
        endpoint: bench.direct.moto,
        credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
      })
      const [app] = await Promise.all(
        ['app.example.com', 'www.example.com'].map((domain) =>
          createCertificate({endpoint: bench.direct.moto, region: bench.region, domain}),
        ),
      )
      certificateArn = app!.arn
      await r53.send(new CreateHostedZoneCommand({Name: 'example.com', CallerReference: `docs-${Date.now()}`}))
    })
    after(async () => {
      r53?.destroy()
      await bench?.stop()
    })

    /** The placeholders the docs use, fresh for each block. */
    // The environments are made again for each block (only the EB fake is reset: moto keeps the certificates, the zone
    // and the load balancers of earlier blocks, which no block names).
    async function fixtures(): Promise<Record<string, string>> {
      await bench.eb.reset()
      // my-env serves 443 as HTTPS -> HTTP: WebSockets broken, so `listeners fix` has work to do.
      await createScenario(bench, {
        environment: 'my-env',
        application: 'my-app',
        settings: () => LAYOUT_SETTINGS.http(certificateArn),
      })
      await bench.eb.createEnvironment({
        name: 'my-alb-env',
        application: 'my-app',
        loadBalancerType: 'application',
        optionSettings: [],
      })
      return {CERTIFICATE_ARN: certificateArn, BUILD_NUMBER: '42'}
    }

    function workspace(): {cwd: string; path: string} {
      const cwd = tempDir('ebws-docs-')
      const bin = join(cwd, '.bin')
      mkdirSync(bin)
      // `ebws` and `npx ebws`: this checkout's CLI on the project's Node, from any folder.
      writeFileSync(
        join(bin, 'ebws'),
        `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/run.js'))} "$@"\n`,
      )
      writeFileSync(
        join(bin, 'npx'),
        '#!/bin/sh\n[ "$1" = ebws ] || { echo "npx (test shim): only ebws" >&2; exit 127; }\nshift\nexec ebws "$@"\n',
      )
      chmodSync(join(bin, 'ebws'), 0o755)
      chmodSync(join(bin, 'npx'), 0o755)
      mkdirSync(join(cwd, 'app'))
      writeFileSync(
        join(cwd, 'app/package.json'),
        JSON.stringify({name: 'app', version: '1.0.0', scripts: {start: 'node app.js'}}),
      )
      writeFileSync(
        join(cwd, 'app/app.js'),
        "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT || 8080)\n",
      )
      return {cwd, path: `${bin}:${process.env.PATH}`}
    }

    for (const b of blocks.filter((x) => x.kind === 'run')) {
      it(`${b.file}:${b.line}: ${b.text.split('\n')[0]}`, async () => {
        const vars = await fixtures()
        const {cwd, path} = workspace()
        const tmp = join(cwd, '.tmp')
        mkdirSync(tmp)
        try {
          const r = await new Promise<{code: number | null; out: string}>((resolve, reject) => {
            // -x: the log names the command that failed.
            const child = spawn('bash', ['-e', '-o', 'pipefail', '-x', '-c', b.text], {
              cwd,
              env: {...env, ...vars, PATH: path, NO_COLOR: '1', TMPDIR: tmp},
              stdio: ['ignore', 'pipe', 'pipe'],
            })
            let out = ''
            child.stdout.on('data', (d: Buffer) => (out += d.toString()))
            child.stderr.on('data', (d: Buffer) => (out += d.toString()))
            const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
            child.on('error', reject)
            child.on('close', (code) => {
              clearTimeout(timer)
              resolve({code, out})
            })
          })
          assert.equal(r.code, 0, `${b.file}:${b.line} exited ${r.code}:\n${r.out}`)
          if (/deploy-result\.json/.test(b.text)) {
            assert.match(r.out, /^deployed$/m)
            assert.equal((JSON.parse(readFileSync(join(cwd, 'deploy-result.json'), 'utf8')) as {ok: boolean}).ok, true)
          }
          if (/local down/.test(b.text))
            assert.equal(existsSync(join(cwd, '.ebws-local/state.json')), false, 'local down stopped what up started')
        } finally {
          // Whatever a failed block left running.
          if (existsSync(join(cwd, '.ebws-local'))) await localDown(join(cwd, '.ebws-local')).catch(() => undefined)
          rmSync(cwd, {recursive: true, force: true})
        }
      })
    }
  })
})
