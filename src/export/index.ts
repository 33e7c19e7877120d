/** The export formats by name (`tokenbench export --format NAME`). */
import { benchmarkV2Exporter } from './benchmark-v2.js';
import { csvExporter } from './csv.js';
import type { Exporter } from './exporter.js';
import { jsonlExporter } from './jsonl.js';
import { markdownExporter } from './markdown.js';

export const EXPORTERS: Readonly<Record<string, Exporter>> = {
  csv: csvExporter,
  md: markdownExporter,
  jsonl: jsonlExporter,
  'benchmark-v2': benchmarkV2Exporter,
};
