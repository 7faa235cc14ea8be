/**
 * The modules every node runs, in start order (see modules.ts). Add a module here to wire it in.
 */
import type { NodeModule } from './modules.js'
import { networkModule } from './networkModule.js'
import { feedModule } from './feedModule.js'
import { swarmModule } from './swarmModule.js'
import { evidenceModule } from './evidenceModule.js'
import { escrowModule } from './escrowModule.js'

export const NODE_MODULES: NodeModule[] = [networkModule(), evidenceModule, swarmModule, escrowModule, feedModule]
