// Shared set-up for the eb-fake tests: one moto (the bench launcher) and one fake, plus SDK clients on them.
import {ElasticBeanstalkClient} from '@aws-sdk/client-elastic-beanstalk'
import {ElasticLoadBalancingClient} from '@aws-sdk/client-elastic-load-balancing'
import {S3Client} from '@aws-sdk/client-s3'
import {ACMClient} from '@aws-sdk/client-acm'

import {startMoto} from '../moto.ts'
import type {Moto} from '../moto.ts'
import {startEbFake} from './index.ts'
import type {EbFake} from './index.ts'

export const REGION = 'us-east-1'
const credentials = {accessKeyId: 'testing', secretAccessKey: 'testing'}

export interface Bench {
  moto: Moto
  fake: EbFake
  eb: ElasticBeanstalkClient
  elb: ElasticLoadBalancingClient
  s3: S3Client
  acm: ACMClient
  stop(): Promise<void>
}

export async function startBench(): Promise<Bench> {
  const moto = await startMoto()
  const fake = await startEbFake({motoUrl: moto.url, region: REGION, stepMs: 5})
  const eb = new ElasticBeanstalkClient({endpoint: fake.url, region: REGION, credentials, maxAttempts: 1})
  const elb = new ElasticLoadBalancingClient({endpoint: moto.url, region: REGION, credentials})
  const s3 = new S3Client({endpoint: moto.url, region: REGION, credentials, forcePathStyle: true})
  const acm = new ACMClient({endpoint: moto.url, region: REGION, credentials})
  return {
    moto,
    fake,
    eb,
    elb,
    s3,
    acm,
    async stop() {
      for (const c of [eb, elb, s3, acm]) c.destroy()
      await fake.stop()
      await moto.stop()
    },
  }
}

/** Asserts an SDK error by code, and message when given (exact string or pattern). */
export function awsError(code: string, message?: string | RegExp, status = 400): (e: unknown) => boolean {
  return (e: unknown) => {
    const err = e as {name?: string; message?: string; $metadata?: {httpStatusCode?: number}}
    if (err.name !== code) throw new Error(`expected ${code}, got ${err.name}: ${err.message}`)
    if (err.$metadata?.httpStatusCode !== status)
      throw new Error(`expected HTTP ${status}, got ${err.$metadata?.httpStatusCode}`)
    if (typeof message === 'string' && err.message !== message)
      throw new Error(`expected message ${JSON.stringify(message)}, got ${JSON.stringify(err.message)}`)
    if (message instanceof RegExp && !message.test(err.message ?? ''))
      throw new Error(`message ${JSON.stringify(err.message)} does not match ${message}`)
    return true
  }
}

export const IAM_CERT = 'arn:aws:iam::123456789012:server-certificate/ebws-test'
