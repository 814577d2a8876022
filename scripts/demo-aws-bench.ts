// The main job against the local AWS bench, no AWS account needed: an Elastic Beanstalk environment whose CLB has the
// broken default-ish layout (TCP 80, no 443) is inspected, planned (dry run), fixed, and inspected again.
// Needs python3 with moto (see README). Run: npm run demo:aws
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {createScenario, LAYOUT_SETTINGS, startFullBench} from '../test/bench/scenario.ts'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

const bench = await startFullBench()
try {
  const env = {...benchProcessEnv(bench), EBWS_POLL_MS: '200'}
  const s = await createScenario(bench, {
    environment: 'demo-env',
    application: 'demo-app',
    certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
    settings: () => LAYOUT_SETTINGS.tcp80(),
  })
  const ebws = (...args: string[]) =>
    new Promise<number>((resolve) => {
      console.log(`\n$ ebws ${args.join(' ')}`)
      spawn(process.execPath, [BIN, ...args], {env, stdio: 'inherit'}).on('close', (code) => resolve(code ?? 1))
    })
  console.log(
    `Local AWS bench up (moto + Elastic Beanstalk fake), region ${bench.region}; environment ${s.environmentName}, load balancer ${s.loadBalancerName}.`,
  )
  await ebws('listeners', 'show', '-e', s.environmentName)
  await ebws('listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--dry-run')
  await ebws('listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com')
  await ebws('listeners', 'show', '-e', s.environmentName)
} finally {
  await bench.stop()
}
