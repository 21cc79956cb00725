// Toolchain stage: render/copy the board files of a project, build it, run it.
export * from './build';
export * from './run';
export * from './elf';
export * from './sizes';
