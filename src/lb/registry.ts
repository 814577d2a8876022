import {applicationAdapter} from './application/adapter.ts'
import {classicAdapter} from './classic/adapter.ts'
import {networkAdapter} from './network/adapter.ts'
import type {LoadBalancerAdapter, LoadBalancerType} from './types.ts'

/** One adapter per load-balancer type; features look the type up here and never branch on it. */
export const ADAPTERS: Record<LoadBalancerType, LoadBalancerAdapter> = {
  classic: classicAdapter as LoadBalancerAdapter,
  application: applicationAdapter as LoadBalancerAdapter,
  network: networkAdapter as LoadBalancerAdapter,
}

export const adapterFor = (type: LoadBalancerType): LoadBalancerAdapter => ADAPTERS[type]

/**
 * The adapter whose type wrote a snapshot (`listeners restore`). A file no adapter owns (missing, unreadable, not a
 * snapshot) goes to the classic adapter, the oldest format, whose reader says what is wrong with it (exit 2).
 */
export const adapterForSnapshot = (snapshot: {kind?: unknown; loadBalancerType?: unknown}): LoadBalancerAdapter =>
  Object.values(ADAPTERS).find((a) => a.ownsSnapshot(snapshot)) ?? ADAPTERS.classic
