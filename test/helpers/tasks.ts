// Tests use the benchmark's task datasets (one definition of the data).
export { FMNIST, task, writeTaskDataset } from '../../src/bench/tasks';
export type { Task } from '../../src/bench/tasks';
