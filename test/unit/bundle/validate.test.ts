import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {collectBundleFiles} from '../../../src/bundle/collect.ts'
import {buildBundle} from '../../../src/bundle/index.ts'
import {assertValid, validateBundle, validateConfig, validateEntries} from '../../../src/bundle/validate.ts'
import type {BundleEntry} from '../../../src/bundle/validate.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import {cleanup, makeTree, MINIMAL_APP} from './helpers.ts'

const codes = (issues: Array<{code: string}>) => issues.map((i) => i.code)

describe('validateConfig', () => {
  it('accepts both option_settings syntaxes and the parameterised namespaces', () => {
    const yaml = `
option_settings:
  aws:elb:listener:443:
    ListenerProtocol: SSL
  aws:elb:policies:websocket:
    ProxyProtocol: true
  aws:elbv2:listener:8443:
    Protocol: HTTPS
  aws:elasticbeanstalk:environment:process:ws:
    Port: '8080'
  aws:elasticbeanstalk:application:environment:
    NODE_ENV: production
files:
  /etc/x:
    content: hi
container_commands:
  01: {command: echo}
`
    assert.deepEqual(validateConfig('.ebextensions/a.config', yaml), {errors: [], warnings: []})
    const list = `option_settings:
  - namespace: aws:elb:listener:80
    option_name: ListenerEnabled
    value: true
  - option_name: NODE_ENV
    value: production
`
    assert.deepEqual(validateConfig('.ebextensions/b.config', list), {errors: [], warnings: []})
  })

  it('parses JSON configs', () => {
    const json =
      '{"option_settings": [{"namespace": "aws:elasticbeanstalk:environment", "option_name": "LoadBalancerType", "value": "classic"}]}'
    assert.deepEqual(validateConfig('.ebextensions/c.config', json).errors, [])
  })

  it('reports bad YAML with its line', () => {
    const r = validateConfig('.ebextensions/bad.config', 'option_settings:\n  aws:elb:listener:\n\t- bad: [\n')
    assert.deepEqual(codes(r.errors).slice(0, 1), ['config-syntax'])
    assert.match(r.errors[0]!.message, /\.ebextensions\/bad\.config is not valid YAML or JSON \(line \d+/)
  })

  it('reports unknown top-level keys and unknown namespaces, suggesting the near one', () => {
    const r = validateConfig(
      '.ebextensions/x.config',
      'option_setting:\n  a: b\noption_settings:\n  aws:elb:listner:443:\n    X: y\n  aws:elasticbeanstalk:enviroment:\n    LoadBalancerType: classic\n',
    )
    assert.deepEqual(codes(r.errors), ['config-key', 'config-namespace', 'config-namespace'])
    assert.match(r.errors[0]!.message, /unknown top-level key "option_setting"/)
    assert.match(r.errors[1]!.message, /"aws:elb:listner:443"/)
    assert.match(r.errors[2]!.message, /did you mean "aws:elasticbeanstalk:environment"/)
  })

  it('checks the list syntax: namespace and option_name', () => {
    const r = validateConfig(
      '.ebextensions/l.config',
      'option_settings:\n  - namespace: aws:nope\n    option_name: A\n  - value: 1\n',
    )
    assert.deepEqual(codes(r.errors), ['config-namespace', 'config-shape'])
  })

  it('warns (does not fail) on duplicate keys, since only the last one takes effect', () => {
    const r = validateConfig('.ebextensions/d.config', 'commands:\n  a: {command: x}\ncommands:\n  b: {command: y}\n')
    assert.deepEqual(codes(r.errors), [])
    assert.deepEqual(codes(r.warnings), ['config-syntax'])
  })
})

describe('validateEntries', () => {
  const entries = (...paths: string[]): BundleEntry[] => paths.map((path) => ({path, kind: 'file'}))
  const noRead = async () => {
    throw new Error('not read')
  }

  it('needs package.json or a Procfile at the root on the Node.js platform', async () => {
    const r = await validateEntries(entries('src/package.json', 'index.js'), noRead)
    assert.deepEqual(codes(r.errors), ['no-entry-point'])
    assert.deepEqual((await validateEntries(entries('Procfile'), noRead)).errors, [])
    assert.deepEqual((await validateEntries(entries('index.js'), noRead, {nodePlatform: false})).errors, [])
  })

  it('fails over the size limit (injectable, so no 512 MB file is needed)', async () => {
    const r = await validateEntries(entries('package.json'), noRead, {sizeBytes: 2001, maxBytes: 2000})
    assert.deepEqual(codes(r.errors), ['too-large'])
    assert.deepEqual(
      (await validateEntries(entries('package.json'), noRead, {sizeBytes: 2000, maxBytes: 2000})).errors,
      [],
    )
  })

  it('warns on misnamed configs (secrets are refused apart, by secrets.ts)', async () => {
    const r = await validateEntries(entries('package.json', '.env', '.ebextensions/opts.yml', 'notes.txt'), noRead)
    assert.deepEqual(r.errors, [])
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.path]),
      [['config-not-read', '.ebextensions/opts.yml']],
    )
  })
})

describe('validateBundle and buildBundle on a directory', () => {
  it('reads .ebextensions configs from disk and throws one bad-input error listing every problem', async () => {
    const dir = await makeTree({
      'index.js': 'x',
      '.ebextensions/01.config': 'option_settings: [\n',
      '.ebextensions/02.config': 'option_settings:\n  aws:bogus:ns:\n    A: b\n',
      '.ebextensions/nginx/conf.d/x.conf': 'not a config file',
    })
    try {
      const report = await validateBundle((await collectBundleFiles(dir)).files)
      assert.deepEqual(codes(report.errors).sort(), ['config-namespace', 'config-syntax', 'no-entry-point'])
      assert.throws(
        () => assertValid(report),
        (e: unknown) => {
          assert.ok(e instanceof EbwsError)
          assert.equal(e.exitCode, 2)
          assert.match(e.message, /01\.config is not valid/)
          assert.match(e.message, /aws:bogus:ns/)
          assert.match(e.message, /Neither package\.json nor Procfile/)
          return true
        },
      )
      await assert.rejects(buildBundle(dir, `${dir}.zip`), (e: unknown) => e instanceof EbwsError && e.exitCode === 2)
    } finally {
      await cleanup(dir)
    }
  })

  it('buildBundle returns the zip and the warnings of a valid app', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.env.example': 'SECRET=',
      '.ebextensions/ok.config': 'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    A: b\n',
      '.platform/hooks/predeploy/x.sh': {content: '#!/bin/sh\n', mode: 0o644},
    })
    try {
      const r = await buildBundle(dir, `${dir}.zip`)
      assert.equal(r.entries, 5)
      assert.deepEqual(r.madeExecutable, ['.platform/hooks/predeploy/x.sh'])
      assert.deepEqual(codes(r.report.warnings), [])
    } finally {
      await cleanup(dir)
    }
  })
})
