import type {AwsClients} from '../aws/clients.ts'
import {describeEnvironment} from '../environment/describe.ts'
import type {FirstRoundTrip} from './types.ts'

/**
 * Round trip 1 of every command that reads a load balancer: DescribeEnvironments + DescribeEnvironmentResources,
 * which name the load balancer, hence its type.
 */
export async function firstRoundTrip(clients: AwsClients, environmentName: string): Promise<FirstRoundTrip> {
  const region = await clients.region()
  const trip = describeEnvironment(clients, environmentName)
  // Load the load balancer clients round trip 2 needs while round trip 1 is on the wire (after its requests are sent),
  // and EC2's, for the security groups read beside them (src/security-groups).
  setImmediate(() => clients.prepare('elb', 'elbv2', 'ec2'))
  const environment = await trip
  return {region, environment}
}
