/**
 * The ordering guard: an older image never replaces a newer one without allow-downgrade, however the
 * run was started. The promoted image is compared with the image a target references now, known from
 * an old record in the infra repository or else from its registry, each looked up once per run.
 */
import { compareImages, type IdentityLookup, type ImageIdentity, type Order, type UnknownIdentity } from '../image/identity.js'
import { formatReference, type ImageReference } from '../image/reference.js'

export interface Verdict {
  readonly order: Order
  /** Why the order is unknown. */
  readonly why?: string
}

export class OrderGuard {
  private readonly identities = new Map<string, Promise<ImageIdentity | UnknownIdentity>>()

  constructor(
    private readonly ours: ImageIdentity | UnknownIdentity,
    private readonly lookup: IdentityLookup,
  ) {}

  /** How the promoted image relates to `current`; `recorded` is what an old record says of it. */
  async judge(current: ImageReference, recorded?: ImageIdentity): Promise<Verdict> {
    const ours = this.ours
    if ('unknown' in ours) return { order: 'unknown', why: ours.unknown }
    if (recorded) {
      const order = compareImages(ours, recorded)
      if (order !== 'unknown') return { order }
    }
    const identity = await this.identity(current)
    if ('unknown' in identity) return { order: 'unknown', why: identity.unknown }
    const order = compareImages(ours, identity)
    return order === 'unknown' ? { order, why: 'the two images carry no common time (source commit or build) to order them by' } : { order }
  }

  private identity(image: ImageReference): Promise<ImageIdentity | UnknownIdentity> {
    const key = formatReference(image)
    let known = this.identities.get(key)
    if (!known) {
      known = this.lookup(image)
      this.identities.set(key, known)
    }
    return known
  }
}
