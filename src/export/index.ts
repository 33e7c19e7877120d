/** The export formats by name (`tokenbench export --format NAME`). */
import { csvExporter } from './csv.js';
import type { Exporter } from './exporter.js';
import { jsonlExporter } from './jsonl.js';
import { markdownExporter } from './markdown.js';

export const EXPORTERS: Readonly<Record<string, Exporter>> = {
  csv: csvExporter,
  md: markdownExporter,
  jsonl: jsonlExporter,
};
