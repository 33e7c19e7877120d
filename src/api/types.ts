/** The shapes the library takes that are not already result types. */
import type { BenchmarkConfig } from '../config/fields.js';

/** A config as a config file holds it: any field may be left out (its default) or be a list (a sweep). */
export type ConfigInput = {
  [K in keyof BenchmarkConfig]?: K extends 'engine_options' ? Record<string, BenchmarkConfig['engine_options'][string] | readonly BenchmarkConfig['engine_options'][string][]> : BenchmarkConfig[K] | readonly BenchmarkConfig[K][];
} & { name?: string };
