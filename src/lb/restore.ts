import {readFileSync} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import {adapterForSnapshot} from './registry.ts'
import type {RestoreOptions, RestoreResult} from './types.ts'

function readHead(file: string): {kind?: unknown; loadBalancerType?: unknown} {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as {kind?: unknown; loadBalancerType?: unknown}
  } catch {
    return {}
  }
}

/**
 * `listeners restore --from FILE` for any snapshot: the adapter whose type wrote it puts it back through the change
 * pipeline (a file no adapter owns goes to the one whose reader says what is wrong with it).
 */
export async function restoreAnyListeners(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: RestoreOptions,
): Promise<RestoreResult> {
  return adapterForSnapshot(readHead(file)).restore(clientsFor, file, o)
}
