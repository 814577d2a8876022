import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'
import type {EnvironmentInfo} from './describe.ts'
import type {EnvironmentEvent} from './events.ts'
import {followEvents} from './events.ts'

/** What a wait-for-Ready poll reads of an environment: the status part of what `describeEnvironment` returns. */
export type EnvironmentStatus = Pick<
  EnvironmentInfo,
  'status' | 'health' | 'healthStatus' | 'versionLabel' | 'endpointUrl' | 'cname'
>

export interface PollOptions {
  timeoutMs: number
  /** First poll interval; doubles up to maxIntervalMs. Each poll is two calls (environment + events). */
  intervalMs?: number
  maxIntervalMs?: number
  onEvent?: (event: EnvironmentEvent) => void
  onStatus?: (status: EnvironmentStatus) => void
  since?: Date
  signal?: AbortSignal
}

/**
 * Poll pacing: two calls per poll, starting at 4 s and backing off to 15 s, stays under ~30 API calls a minute,
 * which leaves room for other tools sharing the account's Beanstalk request rate. EBWS_POLL_MS overrides the start
 * (the local bench uses it; the backoff still applies).
 */
export const defaultPollInterval = (): number => Number(process.env.EBWS_POLL_MS) || 4000

export async function describeEnvironmentStatus(
  clients: AwsClients,
  environmentName: string,
): Promise<EnvironmentStatus | undefined> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeEnvironmentsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out = await awsCall('elasticbeanstalk:DescribeEnvironments', () =>
    eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: [environmentName], IncludeDeleted: false})),
  )
  const e = out.Environments?.find((x) => x.EnvironmentName === environmentName)
  return e
    ? {
        status: e.Status ?? 'Unknown',
        health: e.Health,
        healthStatus: e.HealthStatus,
        versionLabel: e.VersionLabel,
        endpointUrl: e.EndpointURL,
        cname: e.CNAME,
      }
    : undefined
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

/**
 * Polls until `done(status)` says so, printing new events as they come. Throws a Timeout error (exit 3) at the bound.
 * `done` may throw to stop early with a failure.
 */
export async function pollEnvironment(
  clients: AwsClients,
  environmentName: string,
  done: (status: EnvironmentStatus, events: EnvironmentEvent[]) => boolean,
  options: PollOptions,
): Promise<EnvironmentStatus> {
  const deadline = Date.now() + options.timeoutMs
  const events = followEvents(clients, environmentName, options.since ?? new Date(Date.now() - 1000))
  let interval = options.intervalMs ?? defaultPollInterval()
  const maxInterval = options.maxIntervalMs ?? Math.max(interval, 15_000)
  let lastKey = ''
  for (;;) {
    const [status, fresh] = await Promise.all([describeEnvironmentStatus(clients, environmentName), events()])
    for (const e of fresh) options.onEvent?.(e)
    if (!status) throw new EbwsError('ENV_GONE', `Environment "${environmentName}" disappeared while waiting.`, {})
    const key = `${status.status}/${status.health}`
    if (key !== lastKey) options.onStatus?.(status)
    lastKey = key
    if (done(status, fresh)) return status
    const left = deadline - Date.now()
    if (left <= 0 || options.signal?.aborted) {
      throw new EbwsError(
        'TIMEOUT',
        `Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for "${environmentName}" (now ${status.status}, health ${status.health ?? 'unknown'}). The operation may still be running on AWS.`,
        {
          hint: [
            `Check it with \`ebws listeners show -e ${environmentName}\` or the Beanstalk console; raise --timeout to wait longer.`,
          ],
          details: {status},
        },
      )
    }
    await sleep(Math.min(interval, left), options.signal)
    interval = Math.min(interval * 2, maxInterval)
  }
}

export const isReady = (s: EnvironmentStatus): boolean => s.status === 'Ready'
