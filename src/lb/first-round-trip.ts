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
  // What round trip 2 will need, loaded while round trip 1 is on the wire. EC2 only for the commands that read
  // security groups (listeners show and fix): its SDK is the largest, and loading it costs every other command.
  prepare: ReadonlyArray<'elb' | 'elbv2' | 'ec2'> = ['elb', 'elbv2'],
): Promise<FirstRoundTrip> {
  const region = await clients.region()
  const trip = describeEnvironment(clients, environmentName)
  // Once the round trip's sends have started; prepare() then waits until their requests are written, so loading the
  // clients does not delay them.
  setImmediate(() => clients.prepare(...prepare))
  const environment = await trip
  return {region, environment}
}
