/** The engine options each engine accepts (`--engine-option k=v`, `engine_options` in files). */
import type { EngineName } from './fields.js';

export type OptionKind = { type: 'int'; min: number } | { type: 'enum'; values: readonly string[] } | { type: 'bool' };

export const ENGINE_OPTIONS: Readonly<Record<EngineName, Readonly<Record<string, { kind: OptionKind; help: string }>>>> = {
  'transformers-js': {
    threads: { kind: { type: 'int', min: 1 }, help: 'onnxruntime intra-op threads (default: the runtime\'s choice)' },
    inter_op_threads: { kind: { type: 'int', min: 1 }, help: 'onnxruntime inter-op threads' },
    graph_optimization: {
      kind: { type: 'enum', values: ['disabled', 'basic', 'extended', 'all'] },
      help: 'onnxruntime graph optimization level',
    },
  },
};
