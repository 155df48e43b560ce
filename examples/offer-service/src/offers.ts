import type { HotOffer } from './partner.ts'

/** What `GET /offer` answers when the partner delivered. */
export interface PartnerOfferAnswer extends HotOffer {
  readonly source: 'partner'
}

/** What `GET /offer` answers when the partner could not: a cold offer we always have. */
export interface ColdOfferAnswer {
  readonly offer: 'cold'
  readonly source: 'fallback'
  readonly product: string
  readonly discountPercent: number
  /** Why the fallback answered: the circuit refused the call, or the call failed. */
  readonly reason: string
}

export type OfferAnswer = PartnerOfferAnswer | ColdOfferAnswer

/** The fallback: a generic offer that needs no partner, so `/offer` keeps answering 200. */
export function coldOffer(reason: string): ColdOfferAnswer {
  return {
    offer: 'cold',
    source: 'fallback',
    product: 'Newsletter signup',
    discountPercent: 5,
    reason,
  }
}
