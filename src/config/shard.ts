/**
 * Which part of a sweep one process runs when a scheduler runs many (Slurm job arrays, Kubernetes
 * Indexed Jobs, CI matrices), and the group all parts share. tokenbench schedules nothing itself:
 * each part is told its index and the count, and the parts meet in the store under their group.
 */
import { InputError } from '../util/errors.js';

/** A scheduler's index or count as it writes them: decimal digits only (no hex, exponent or sign), within the exact integers. */
const indexOf = (text: string | undefined): number => (text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text) : NaN);

export interface Shard {
  /** 0-based index of this part. */
  index: number;
  /** Number of parts. */
  count: number;
}

/** The shard, from `--shard I/N`, else the scheduler's environment; null when there is none. */
export function shardFrom(flag: string | undefined, env: NodeJS.ProcessEnv, command: string): Shard | null {
  if (flag !== undefined) {
    const m = /^(\d{1,15})\/(\d{1,15})$/.exec(flag.trim());
    const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
    if (!shard || shard.count < 1 || shard.index >= shard.count) {
      throw new InputError('usage', `${command}: --shard takes I/N, this part's index from 0 and the number of parts (0 <= I < N), got '${flag}'`);
    }
    return shard;
  }
  const task = env.SLURM_ARRAY_TASK_ID;
  if (task !== undefined && task !== '') {
    // --array=MIN-MAX[:STEP]; an array with holes (--array=1,4,9) has no dense index: --shard says it
    const [id, min, step, count] = [task, env.SLURM_ARRAY_TASK_MIN ?? '0', env.SLURM_ARRAY_TASK_STEP ?? '1', env.SLURM_ARRAY_TASK_COUNT].map(indexOf) as [number, number, number, number];
    const index = (id - min) / step;
    if (![id, min, step, count].every(Number.isInteger) || step < 1 || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new InputError(
        'usage',
        `${command}: SLURM_ARRAY_TASK_ID ${task} (min ${env.SLURM_ARRAY_TASK_MIN ?? '-'}, step ${env.SLURM_ARRAY_TASK_STEP ?? '-'}, count ${env.SLURM_ARRAY_TASK_COUNT ?? '-'}) is not one of a contiguous array; give --shard I/N`,
      );
    }
    return { index, count };
  }
  const completion = env.JOB_COMPLETION_INDEX;
  if (completion !== undefined && completion !== '') {
    const index = indexOf(completion);
    const count = indexOf(env.TOKENBENCH_SHARD_COUNT);
    if (!Number.isInteger(index) || index < 0 || !Number.isInteger(count) || count < 1 || index >= count) {
      throw new InputError(
        'usage',
        `${command}: JOB_COMPLETION_INDEX ${completion} needs TOKENBENCH_SHARD_COUNT, the Job's completions (set in its manifest), above it; got '${env.TOKENBENCH_SHARD_COUNT ?? ''}'; or give --shard I/N`,
      );
    }
    return { index, count };
  }
  // a count with no index would be ignored: the run would go whole where parts were meant
  if (env.TOKENBENCH_SHARD_COUNT !== undefined && env.TOKENBENCH_SHARD_COUNT !== '') {
    throw new InputError('usage', `${command}: TOKENBENCH_SHARD_COUNT ${env.TOKENBENCH_SHARD_COUNT} is set but no part index is (JOB_COMPLETION_INDEX, which a Kubernetes Indexed Job sets, or SLURM_ARRAY_TASK_ID); give --shard I/N or unset it`);
  }
  return null;
}

/** The group the parts share: `--group`, else TOKENBENCH_GROUP (a Kubernetes manifest sets it), else Slurm's array job id. */
export function groupFrom(flag: string | undefined, env: NodeJS.ProcessEnv, command: string): string | null {
  const group = flag ?? (env.TOKENBENCH_GROUP || undefined) ?? (env.SLURM_ARRAY_JOB_ID ? `slurm-${env.SLURM_ARRAY_JOB_ID}` : undefined);
  if (group === undefined) return null;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(group)) {
    throw new InputError('usage', `${command}: group '${group}' must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`);
  }
  return group;
}

/** The items of `shard`: i, i + n, i + 2n, ... of the stable order (all of them when there is no shard). */
export function shardItems<T>(items: readonly T[], shard: Shard | null): T[] {
  return shard === null ? [...items] : items.filter((_, k) => k % shard.count === shard.index);
}

/** How many of `total` items shard `shard` takes (items i, i + n, ...). */
export function shareOf(total: number, shard: Shard): number {
  return Math.floor(total / shard.count) + (shard.index < total % shard.count ? 1 : 0);
}
