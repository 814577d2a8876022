import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {compareAscii} from '../compare.ts'

export interface EnvironmentEvent {
  date: string
  severity: string
  message: string
  requestId?: string | undefined
  versionLabel?: string | undefined
}

/**
 * Follows an environment's events from a start time: each call returns only events not seen before, oldest first.
 * DescribeEvents returns newest first and pages with NextToken; every page is read, so nothing is lost to
 * MaxRecords truncation (https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEvents.html).
 */
export function followEvents(clients: AwsClients, environmentName: string, since: Date) {
  const seen = new Set<string>()
  let from = since
  return async function newEvents(): Promise<EnvironmentEvent[]> {
    const eb = await clients.elasticBeanstalk()
    const {DescribeEventsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
    const fresh: EnvironmentEvent[] = []
    let NextToken: string | undefined
    do {
      const page = await awsCall('elasticbeanstalk:DescribeEvents', () =>
        eb.send(new DescribeEventsCommand({EnvironmentName: environmentName, StartTime: from, NextToken})),
      )
      for (const e of page.Events ?? []) {
        const event: EnvironmentEvent = {
          date: e.EventDate?.toISOString() ?? new Date().toISOString(),
          severity: e.Severity ?? 'INFO',
          message: e.Message ?? '',
          requestId: e.RequestId,
          versionLabel: e.VersionLabel,
        }
        const key = `${event.date}\0${event.message}\0${event.requestId ?? ''}`
        if (seen.has(key)) continue
        seen.add(key)
        fresh.push(event)
      }
      NextToken = page.NextToken
    } while (NextToken)
    fresh.sort((a, b) => compareAscii(a.date, b.date))
    // Later calls start at the newest event seen; the seen-set drops the overlap at that instant.
    const last = fresh.at(-1)
    if (last) from = new Date(last.date)
    return fresh
  }
}

/**
 * The date of the environment's newest event, by AWS's clock (DescribeEvents returns newest first, so one record is
 * enough). Following from just after it shows only what happens next, whatever the local clock's skew.
 */
export async function latestEventDate(clients: AwsClients, environmentName: string): Promise<Date | undefined> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeEventsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const page = await awsCall('elasticbeanstalk:DescribeEvents', () =>
    eb.send(new DescribeEventsCommand({EnvironmentName: environmentName, MaxRecords: 1})),
  )
  return page.Events?.[0]?.EventDate
}
