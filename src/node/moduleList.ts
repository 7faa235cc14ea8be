/**
 * The modules every node runs, in start order (see modules.ts). Add a module here to wire it in.
 */
import type { NodeModule } from './modules.js'

export const NODE_MODULES: NodeModule[] = []
