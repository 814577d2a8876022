import type {AwsClients} from '../aws/clients.ts'
import {describeEnvironment} from '../environment/describe.ts'
import type {FirstRoundTrip} from './types.ts'

/**
 * Round trip 1 of every command that reads a load balancer: DescribeEnvironments + DescribeEnvironmentResources,
 * which name the load balancer, hence its type.
 */
export async function firstRoundTrip(
  clients: AwsClients,
  environmentName: string,
  // What round trip 2 will need, loaded while round trip 1 is on the wire, the likeliest first (each only if the
  // round trip is still unanswered: what the answer shows unneeded is then never loaded). EC2 only for the commands
  // that read security groups (listeners show and fix): its SDK is the largest, and loading it costs every other
  // command.
  prepare: ReadonlyArray<'elb' | 'elbv2' | 'ec2'> = ['elbv2', 'elb'],
): Promise<FirstRoundTrip> {
  const region = await clients.region()
  const trip = describeEnvironment(clients, environmentName)
  // Once the round trip's sends have started; the loads then wait until their requests are written, so that they
  // do not delay them.
  setImmediate(() => clients.prepareWhile(trip, prepare))
  const environment = await trip
  return {region, environment}
}
