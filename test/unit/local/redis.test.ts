import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {isOurs, startDetached, stopProcess} from '../../../src/local/processes.ts'
import {pingRedis, redisConfig, redisDataDir} from '../../../src/local/redis.ts'

const root = mkdtempSync(join(tmpdir(), 'ebws-redis-'))
after(() => rmSync(root, {recursive: true, force: true}))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })

describe('redisConfig in a state dir whose path needs quoting', () => {
  for (const place of ['state dir with spaces', 'it\'s "quoted"']) {
    it(`${JSON.stringify(place)}: real redis-server starts, answers PING, and local down can still recognise it`, async (t) => {
      const stateDir = join(root, place)
      const dir = redisDataDir(stateDir)
      mkdirSync(dir, {recursive: true})
      const conf = join(stateDir, 'redis.conf')
      const port = await freePort()
      writeFileSync(conf, redisConfig({port, dir, configPath: conf}))
      const proc = startDetached('redis', ['redis-server', conf], {log: join(stateDir, 'redis.log'), marker: conf})
      t.after(() => stopProcess(proc, 2000))
      let up = false
      for (let i = 0; i < 50 && !up; i++) {
        up = await pingRedis(port)
        if (!up) await new Promise((r) => setTimeout(r, 100))
      }
      assert.ok(up, 'redis-server answers PING')
      // The process title keeps the whole config path: the marker `local down` and `local status` look for.
      assert.ok(isOurs(proc))
      assert.equal(await stopProcess(proc, 2000), 'stopped')
    })
  }
})
