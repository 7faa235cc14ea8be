/**
 * Gossipsub topic names. The chain id is part of every topic, so nodes of different chains on one
 * network never exchange (and never have to reject) each other's messages.
 */
export interface Topics {
  tx: string
  proposal: string
  vote: string
  evidence: string
  all: string[]
}

export function topicsFor (chainId: string): Topics {
  const t = {
    tx: `/folio/${chainId}/tx/2`,
    proposal: `/folio/${chainId}/proposal/1`,
    vote: `/folio/${chainId}/vote/1`,
    evidence: `/folio/${chainId}/evidence/1`
  }
  return { ...t, all: [t.tx, t.proposal, t.vote, t.evidence] }
}
