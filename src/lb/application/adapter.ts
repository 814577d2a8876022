import type {LoadBalancerAdapter} from '../types.ts'
import type {AlbFixResult} from './fix.ts'
import {fixAlb, formatAlbFix} from './fix.ts'
import {formatElbv2Report} from './format.ts'
import type {Elbv2Report} from './show.ts'
import {showElbv2} from './show.ts'

export const applicationAdapter: LoadBalancerAdapter<Elbv2Report, AlbFixResult> = {
  type: 'application',
  show: showElbv2,
  format: (r, ctx) => formatElbv2Report(r, ctx.now),
  fix: fixAlb,
  formatFix: formatAlbFix,
}
